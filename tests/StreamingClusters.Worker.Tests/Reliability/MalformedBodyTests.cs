using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamingClusters.MalformedInput;

namespace StreamingClusters.Worker.Tests.Reliability;

/// <summary>
/// Seeded good and damaged records in POST /points bodies, through the real worker over real HTTP:
/// every answer counts each record once and agrees with the generator's verdicts, and when the worker
/// is stopped its totals and its dead-letter file hold every record exactly once.
/// </summary>
public sealed partial class MalformedBodyTests
{
    private const int Dimensions = 2;
    private const int MaxRecordLength = 256;

    /// <summary>A guard against a hang, not a measure.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("text/csv", 11)]
    [InlineData("text/csv; charset=utf-8", 12)]
    [InlineData("application/x-ndjson", 13)]
    [InlineData("application/jsonl", 14)]
    public async Task PostPoints_MutatedBodies_EachRecordCountedOnceAndDeadLettered(string contentType, int seed)
    {
        var generator = new MalformedRecordGenerator(contentType.StartsWith("text/csv", StringComparison.Ordinal) ? InputFormat.Csv : InputFormat.JsonLines, seed, Dimensions, MaxRecordLength);
        await using ServingWorker worker = await ServingWorker.StartAsync(
            WorkerProcess.WorkerDll, Dimensions, Hang, "--batch-size", "64", $"--StreamingClusters:MaxRecordLength={MaxRecordLength}", "--StreamingClusters:Http:IngestWait=00:00:05");

        BodyRunResult result = await BodyFuzzer.RunAsync(worker.Client, generator, contentType, records: 2000, maxBodyRecords: 60, CancellationToken.None);
        (int exitCode, string output) = await worker.StopAsync(Hang);

        Assert.Empty(result.Violations);
        Assert.Equal(result.Tally.Records, result.Accepted + result.Rejected);
        Assert.Equal(0, exitCode);
        Match done = Done().Match(output);
        Assert.True(done.Success, output);
        Assert.Equal((result.Accepted, result.Rejected, result.Tally.Records), (Number(done, "applied"), Number(done, "rejected"), Number(done, "received")));
        string[] deadLetters = await File.ReadAllLinesAsync(worker.DeadLetterPath);
        Assert.Equal(result.Rejected, deadLetters.Length);
        Assert.All(deadLetters, line =>
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal("http", json.RootElement.GetProperty("source").GetString());
            Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("reason").GetString()));
        });
    }

    [Theory]
    [InlineData("\"1.5,2\n3,4\n", 1, "field 1 has a quote that does not close")]
    [InlineData("1,2\n\"3,4\n", 2, "field 1 has a quote that does not close")]
    [InlineData("1,2\n3,\u00FF\u00FE\n", 2, "value 1 (zero-based) 'ÿþ' is not a number")]
    public async Task PostPoints_DamagedCsvLine_RejectedWithReasonRestAccepted(string body, int line, string reason)
    {
        await using ServingWorker worker = await ServingWorker.StartAsync(WorkerProcess.WorkerDll, Dimensions, Hang);
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "text/csv");

        using HttpResponseMessage response = await worker.Client.PostAsync(new Uri("/points", UriKind.Relative), content);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, answer.RootElement.GetProperty("accepted").GetInt32());
        JsonElement error = Assert.Single(answer.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal((line, reason), (error.GetProperty("line").GetInt32(), error.GetProperty("reason").GetString()));
    }

    private static long Number(Match match, string group) => long.Parse(match.Groups[group].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Done: version \d+, (?<applied>[\d,]+) points applied, (?<rejected>[\d,]+) rejected, (?<received>[\d,]+) received")]
    private static partial Regex Done();
}
