using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StreamingClusters.Worker.Tests.Http;

namespace StreamingClusters.Worker.Tests;

/// <summary>The worker with <c>--model gmm</c>: the summary, the snapshot file, /model and /score, and a refused setting.</summary>
public sealed class MixtureWorkerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-gmm-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_ModelGmm_SummaryAndSnapshotCarryPriorsVariancesAndTheLikelihood()
    {
        var csv = new StringBuilder("x,y\n");
        for (int i = 0; i < 3_000; i++)
        {
            // Two components of unequal shape: a wide one at the origin, a narrow one at (6, 0).
            double u = ((i * 7919) % 1000 / 1000.0) - 0.5, v = ((i * 104729) % 997 / 997.0) - 0.5;
            (double x, double y) = i % 3 == 0 ? (6 + (0.2 * u), 0.2 * v) : (3 * u, 3 * v);
            csv.Append(CultureInfo.InvariantCulture, $"{x},{y}\n");
        }

        string input = Path.Combine(_dir.FullName, "points.csv");
        await File.WriteAllTextAsync(input, csv.ToString());
        string snapshotPath = Path.Combine(_dir.FullName, "snapshot.json");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(
            _dir.FullName, null, "--input", input, "--clusters", "2", "--model", "gmm", "--seed", "3", "--snapshot-out", snapshotPath,
            "--StreamingClusters:Seeding:BufferSize=1000");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        Assert.Contains("Gaussian mixture: mean log-likelihood", run.Output, StringComparison.Ordinal);
        Assert.Contains("prior", run.Output, StringComparison.Ordinal);
        using JsonDocument snapshot = JsonDocument.Parse(File.ReadAllBytes(snapshotPath));
        JsonElement root = snapshot.RootElement;
        Assert.Equal("GaussianMixture", root.GetProperty("model").GetString());
        double[] priors = [.. root.GetProperty("priors").EnumerateArray().Select(p => p.GetDouble())];
        Assert.Equal(1, priors.Sum(), 1e-9);
        Assert.Equal([1.0 / 3, 2.0 / 3], priors.Order(), new ToleranceComparer(0.02));
        Assert.Equal(2, root.GetProperty("variances").GetArrayLength());
        Assert.True(root.GetProperty("meanLogLikelihood").GetDouble() < 0);
    }

    [Fact]
    public async Task Serve_ModelGmm_ScoreGivesResponsibilityAndLogLikelihood()
    {
        await using WorkerServer server = await WorkerServer.StartAsync("--model", "gmm");
        HttpClient client = server.Client;
        using HttpResponseMessage stream = await client.GetAsync(new Uri("/model/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        using (var body = new StringContent("0,0\n0.5,0.1\n10,10\n10.2,9.9\n0.1,0.4\n9.8,10.1\n0.3,0.3\n10.1,10.3\n", Encoding.UTF8))
        {
            body.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using HttpResponseMessage posted = await client.PostAsync(new Uri("/points", UriKind.Relative), body);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        // The first snapshot event: the model is seeded.
        while (await events.ReadLineAsync() is { } line && !line.StartsWith("data:", StringComparison.Ordinal))
        {
        }

        using var scoreBody = new StringContent("0.2,0.2\n10,10\n", Encoding.UTF8);
        scoreBody.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using HttpResponseMessage scored = await client.PostAsync(new Uri("/score", UriKind.Relative), scoreBody);
        Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
        using JsonDocument answer = JsonDocument.Parse(await scored.Content.ReadAsStringAsync());
        JsonElement[] results = [.. answer.RootElement.GetProperty("results").EnumerateArray()];
        Assert.Equal(2, results.Length);
        Assert.NotEqual(results[0].GetProperty("cluster").GetInt32(), results[1].GetProperty("cluster").GetInt32());
        Assert.All(results, r =>
        {
            Assert.InRange(r.GetProperty("responsibility").GetSingle(), 0.99f, 1f);
            Assert.True(float.IsFinite(r.GetProperty("logLikelihood").GetSingle()));
            Assert.False(r.TryGetProperty("squaredDistance", out _));
        });
    }

    [Fact]
    public async Task Run_ModelGmmWithStandardize_RefusedWithOneLineNamingTheSettings()
    {
        string input = Path.Combine(_dir.FullName, "points.csv");
        await File.WriteAllTextAsync(input, "1,2\n3,4\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--model", "gmm", "--scaling", "standardize");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "Configuration refused: Scaling, Model: StreamingClusters:Scaling 'standardize' does not apply to StreamingClusters:Model 'GaussianMixture': " +
            "its per-column variances learn each column's scale, and its log-likelihoods are in the input's units; give 'none'.",
            run.Error.Trim());
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
