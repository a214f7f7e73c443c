using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using StreamingClusters.MalformedInput;
using StreamingClusters.Worker.Http;

namespace StreamingClusters.Worker.Tests.Reliability;

/// <summary>
/// The security basics of the real worker: it listens nowhere unless told, refuses to listen beyond
/// loopback without a key unless told that too, wants the exact key, bounds bodies and lines, and
/// never lets a request name a file.
/// </summary>
public sealed class HttpSecurityTests
{
    private const string Key = "0123456789abcdef-right-key";

    /// <summary>A guard against a hang, not a measure.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Worker_WithoutUrls_ListensOnNoSocket()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-nourls-");
        string input = Path.Combine(dir.FullName, "points.csv");
        await File.WriteAllTextAsync(input, string.Concat(Enumerable.Range(0, 64).Select(i => $"{i % 2},{i % 3}\n")));
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[WorkerProcess.WorkerDll, "--input", input, "--follow", "--clusters", "2", "--batch-size", "4", "--StreamingClusters:Seeding:BufferSize=8"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        try
        {
            process.OutputDataReceived += (_, _) => { };
            process.BeginOutputReadLine();

            // Once it prints a model version it is fully up: a host that would listen has bound by then.
            using var hang = new CancellationTokenSource(Hang);
            string? line;
            while ((line = await process.StandardError.ReadLineAsync(hang.Token)) is not null && !line.Contains("version", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            Assert.Empty(ListeningSockets(process.Id));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Worker_WithLoopbackUrls_ListensOnLoopbackOnly()
    {
        // The check above must be able to see a socket: here it sees exactly the one asked for.
        await using ServingWorker worker = await StartAsync();

        (IPAddress address, int port) = Assert.Single(ListeningSockets(worker.ProcessId));
        Assert.True(IPAddress.IsLoopback(address), address.ToString());
        Assert.Equal(worker.Client.BaseAddress!.Port, port);
    }

    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://[::]:0")]
    [InlineData("http://*:0")]
    [InlineData("http://+:0")]
    [InlineData("http://127.0.0.1:0;http://0.0.0.0:0")]
    public async Task Worker_BeyondLoopbackWithoutApiKey_RefusedAtStartNamingTheSetting(string urls)
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-open-");
        try
        {
            string input = Path.Combine(dir.FullName, "empty.csv");
            await File.WriteAllTextAsync(input, string.Empty);

            WorkerProcess.Result result = await WorkerProcess.RunAsync(dir.FullName, null, "--urls", urls, "--input", input, "--dimensions", "2");

            Assert.Equal(2, result.ExitCode);
            string open = string.Join(", ", urls.Split(';').Where(u => !u.StartsWith("http://127.", StringComparison.Ordinal)));
            Assert.Contains(
                $"Configuration refused: StreamingClusters:Http:ApiKey is required when HTTP listens beyond loopback ({open}): set a key, bind to 127.0.0.1, or set StreamingClusters:Http:AllowAnonymous to true to take points from anyone who can reach the port.",
                result.Error,
                StringComparison.Ordinal);
            Assert.DoesNotContain("HTTP listening", result.Output + result.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", "")]
    [InlineData("http://127.0.0.2:5080;http://[::1]:5080;http://localhost:5080", "")]
    [InlineData("http://192.168.1.10:5080", "http://192.168.1.10:5080")]
    [InlineData("http://example.com:5080", "http://example.com:5080")]
    [InlineData("https://*:443; http://127.0.0.1:5080", "https://*:443")]
    public void OpenAddresses_ConfiguredUrlsAndEndpoints_TheOnesBeyondLoopback(string urls, string open)
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["urls"] = urls,
                ["Kestrel:Endpoints:Local:Url"] = "http://localhost:6000",
            })
            .Build();

        Assert.Equal(open, string.Join(';', HttpEndpoints.OpenAddresses(configuration)));
    }

    [Theory]
    [InlineData("--api-key", Key)]
    [InlineData("--StreamingClusters:Http:AllowAnonymous=true", null)]
    public async Task Worker_BeyondLoopbackWithKeyOrAllowAnonymous_Starts(string setting, string? value)
    {
        await using ServingWorker worker = await StartAsync(["--urls", "http://0.0.0.0:0", setting, .. value is null ? Array.Empty<string>() : [value]]);

        using HttpResponseMessage health = await worker.Client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Contains(health.StatusCode, (HttpStatusCode[])[HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable]);
    }

    [Fact]
    public async Task PostPointsAndScore_WrongOrMissingKey_UnauthorizedRightKeyAccepted()
    {
        (string? Header, string? Value)[] wrong =
        [
            (null, null),
            ("X-Api-Key", string.Empty),
            ("X-Api-Key", "0123456789abcdef-wrong-key"), // same length as the key
            ("X-Api-Key", "0123456789abcdef-right-ke"), // a prefix
            ("X-Api-Key", Key + "y"), // the key and more
            ("X-Api-Key", "0123456789ABCDEF-RIGHT-KEY"), // another case
            ("Authorization", "Bearer 0123456789abcdef-wrong-key"),
            ("Authorization", "Basic " + Key),
            ("Authorization", Key),
        ];
        (string Header, string Value)[] right = [("X-Api-Key", Key), ("Authorization", "Bearer " + Key), ("Authorization", "bearer  " + Key + " ")];
        await using ServingWorker worker = await StartAsync("--api-key", Key);

        foreach ((string? header, string? value) in wrong)
        {
            foreach (string path in (string[])["/points", "/score"])
            {
                using HttpResponseMessage response = await worker.Client.SendAsync(Csv(path, "1,2\n", header, value));

                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path} {header}: {value} -> {response.StatusCode}");
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            }
        }

        foreach ((string header, string value) in right)
        {
            using HttpResponseMessage response = await worker.Client.SendAsync(Csv("/points", "1,2\n3,4\n", header, value));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(2, (await Answer(response)).GetProperty("accepted").GetInt32());
        }

        // Only the bodies with the right key were read and counted.
        (int exitCode, string output) = await worker.StopAsync(Hang);
        Assert.Equal(0, exitCode);
        Assert.Contains("6 points applied, 0 rejected, 6 received", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostPoints_BodyOverMaxBodyBytes_PayloadTooLargeWithOrWithoutLength()
    {
        await using ServingWorker worker = await StartAsync("--StreamingClusters:Http:MaxBodyBytes=1024");
        byte[] exact = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("1.5,2.5\n", 128)));
        byte[] over = [.. exact, .. "1,2\n"u8];

        using HttpResponseMessage atLimit = await worker.Client.SendAsync(Csv("/points", exact));
        using HttpResponseMessage withLength = await worker.Client.SendAsync(Csv("/points", over));
        using HttpResponseMessage chunked = await worker.Client.SendAsync(Csv("/points", over, chunked: true));

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(128, (await Answer(atLimit)).GetProperty("accepted").GetInt32());
        foreach (HttpResponseMessage response in (HttpResponseMessage[])[withLength, chunked])
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("the body is larger than StreamingClusters:Http:MaxBodyBytes (1024)", (await Answer(response)).GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task PostPoints_LineOverMaxRecordLength_RejectedWithReasonOthersAccepted()
    {
        await using ServingWorker worker = await StartAsync("--StreamingClusters:MaxRecordLength=1000");
        string body = "1,2\n" + "1." + new string('5', 49_996) + ",2\n" + new string(' ', 5000) + "\r\n3,4\n";

        using HttpResponseMessage response = await worker.Client.SendAsync(Csv("/points", body));

        JsonElement answer = await Answer(response);
        Assert.Equal((2, 2), (answer.GetProperty("accepted").GetInt32(), answer.GetProperty("rejected").GetInt32()));
        Assert.Equal(
            ["2: the line is 50000 bytes long, more than StreamingClusters:MaxRecordLength (1000)", "3: the line is 5000 bytes long, more than StreamingClusters:MaxRecordLength (1000)"],
            answer.GetProperty("errors").EnumerateArray().Select(e => $"{e.GetProperty("line").GetInt64()}: {e.GetProperty("reason").GetString()}"));
    }

    [Fact]
    public async Task Requests_NamingPaths_TouchNoFile()
    {
        await using ServingWorker worker = await StartAsync();
        string probe = Path.Combine(Path.GetTempPath(), $"sc-probe-{Guid.NewGuid():N}");
        string[] before = Files(worker.Directory);
        string body = $"{probe},1\n../../../../{probe}\nfile://{probe}\n{{\"path\":\"{probe}\"}}\n";

        foreach (string path in (string[])[$"/points?path={probe}", $"/points?checkpoint={probe}&deadLetter={probe}", "/score?path=" + probe])
        {
            using HttpResponseMessage response = await worker.Client.SendAsync(Csv(path, body, "X-Path", probe));
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        foreach (string path in (string[])["/..%2f..%2f..%2fetc%2fpasswd", "/model/..%2f..%2fempty.csv", "/empty.csv", "/dead.jsonl", $"/model?path={probe}"])
        {
            using HttpResponseMessage response = await worker.Client.GetAsync(new Uri(path, UriKind.Relative));
            string text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("root:", text, StringComparison.Ordinal);
            Assert.Contains(response.StatusCode, (HttpStatusCode[])[HttpStatusCode.NotFound, HttpStatusCode.ServiceUnavailable]);
        }

        await worker.StopAsync(Hang);
        Assert.False(File.Exists(probe) || Directory.Exists(probe));
        Assert.Equal(before.Append("dead.jsonl").Distinct().Order(StringComparer.Ordinal), Files(worker.Directory));
    }

    private static Task<ServingWorker> StartAsync(params string[] extra) => ServingWorker.StartAsync(WorkerProcess.WorkerDll, 2, Hang, extra);

    private static string[] Files(DirectoryInfo dir) => [.. dir.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir.FullName, f.FullName)).Order(StringComparer.Ordinal)];

    private static HttpRequestMessage Csv(string path, string body, string? header = null, string? value = null) =>
        Csv(path, Encoding.UTF8.GetBytes(body), header: header, value: value);

    private static HttpRequestMessage Csv(string path, byte[] body, bool chunked = false, string? header = null, string? value = null)
    {
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        return request;
    }

    private static async Task<JsonElement> Answer(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>The TCP sockets in LISTEN state that process <paramref name="pid"/> holds (Linux: /proc).</summary>
    private static List<(IPAddress Address, int Port)> ListeningSockets(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(target[8..^1]);
            }
        }

        var listening = new List<(IPAddress, int)>();
        foreach (string table in (string[])[$"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6"])
        {
            foreach (string row in File.ReadLines(table).Skip(1))
            {
                string[] fields = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields[3] == "0A" && inodes.Contains(fields[9]))
                {
                    string[] local = fields[1].Split(':');
                    listening.Add((Address(local[0]), int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
                }
            }
        }

        return listening;
    }

    /// <summary>An address of /proc/net/tcp: hex, each 32-bit word in host (little-endian) order.</summary>
    private static IPAddress Address(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);
        for (int i = 0; i < bytes.Length; i += 4)
        {
            Array.Reverse(bytes, i, 4);
        }

        return new IPAddress(bytes);
    }
}
