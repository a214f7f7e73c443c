using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Checkpoints;
using StreamingClusters.Worker.Tests.Http;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// The real worker whose checkpoint directory is taken away while it runs (replaced by a file, so every
/// write fails with ENOTDIR even for root): it keeps ingesting, /healthz says "degraded" naming the file
/// and the OS error, the last good checkpoint is intact, and once the directory is back it is "ready" again.
/// </summary>
public sealed class CheckpointHealthTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-ckpt-health-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Healthz_CheckpointDirectoryGoneWhileRunning_DegradedNamingTheErrorThenReadyAgain()
    {
        string state = Path.Combine(_dir.FullName, "state");
        string kept = Path.Combine(_dir.FullName, "state.kept");
        Directory.CreateDirectory(state);
        string checkpoint = Path.Combine(state, "model.ckpt");
        await using WorkerServer server = await WorkerServer.StartAsync("--checkpoint", checkpoint, "--checkpoint-interval", "0");

        JsonElement ready = await PostUntilAsync(server, h => h.GetProperty("checkpoint").GetProperty("written").GetInt64() >= 1);
        Assert.Equal("ready", ready.GetProperty("status").GetString());

        Directory.Move(state, kept);
        await File.WriteAllTextAsync(state, "not a directory");
        JsonElement degraded = await PostUntilAsync(server, h => h.GetProperty("status").GetString() == "degraded");
        JsonElement status = degraded.GetProperty("checkpoint");
        Assert.Equal(checkpoint, status.GetProperty("path").GetString());
        Assert.Contains(checkpoint + ".tmp", status.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.True(status.GetProperty("consecutiveFailures").GetInt32() >= 1);
        Dictionary<string, byte[]> good = Contents(kept);
        await PostUntilAsync(server, h => h.GetProperty("checkpoint").GetProperty("failed").GetInt64() > status.GetProperty("failed").GetInt64());
        Assert.Equal(good, Contents(kept));
        // A write may have been between its renames when the directory went away: then .prev is the good one.
        Assert.NotNull(new CheckpointStore(Path.Combine(kept, "model.ckpt"), NullLogger.Instance).Load());

        File.Delete(state);
        Directory.Move(kept, state);
        JsonElement recovered = await PostUntilAsync(server, h => h.GetProperty("status").GetString() == "ready");
        Assert.Equal(0, recovered.GetProperty("checkpoint").GetProperty("consecutiveFailures").GetInt32());
        Assert.True(recovered.GetProperty("checkpoint").GetProperty("failed").GetInt64() >= 1);
    }

    [Fact]
    public async Task Stop_FinalCheckpointCannotBeWritten_ExitsOneSayingSoAndKeepsTheLastGoodCheckpoint()
    {
        string state = Path.Combine(_dir.FullName, "state");
        string kept = Path.Combine(_dir.FullName, "state.kept");
        Directory.CreateDirectory(state);
        string checkpoint = Path.Combine(state, "model.ckpt");
        await using WorkerServer server = await WorkerServer.StartAsync("--checkpoint", checkpoint, "--checkpoint-interval", "0");
        await PostUntilAsync(server, h => h.GetProperty("checkpoint").GetProperty("written").GetInt64() >= 1);
        Directory.Move(state, kept);
        await File.WriteAllTextAsync(state, "not a directory");
        await PostUntilAsync(server, h => h.GetProperty("status").GetString() == "degraded");
        Dictionary<string, byte[]> good = Contents(kept);
        Task<string> said = server.OutputLineAsync("without its final checkpoint");

        int exitCode = await server.StopAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains(checkpoint, await said, StringComparison.Ordinal);
        Assert.Equal(good, Contents(kept));
        Assert.NotNull(new CheckpointStore(Path.Combine(kept, "model.ckpt"), NullLogger.Instance).Load());
    }

    /// <summary>Every file of a directory by name, with its bytes.</summary>
    private static Dictionary<string, byte[]> Contents(string directory) =>
        Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);

    /// <summary>Posts one batch of points at a time (each batch tries a checkpoint) until /healthz shows what is awaited.</summary>
    private static async Task<JsonElement> PostUntilAsync(WorkerServer server, Func<JsonElement, bool> awaited)
    {
        for (int round = 0; round < 10_000; round++)
        {
            using var body = new StringContent("1,2\n3,4\n5,6\n7,8\n", Encoding.UTF8, "text/csv");
            using HttpResponseMessage posted = await server.Client.PostAsync(new Uri("/points", UriKind.Relative), body);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            using HttpResponseMessage health = await server.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
            JsonElement answer = await health.Content.ReadFromJsonAsync<JsonElement>();
            if (health.StatusCode == HttpStatusCode.OK && awaited(answer))
            {
                return answer;
            }
        }

        throw new InvalidOperationException("/healthz never showed the awaited state.");
    }
}
