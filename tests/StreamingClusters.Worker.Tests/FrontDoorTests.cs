using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using StreamingClusters.Options;

namespace StreamingClusters.Worker.Tests;

/// <summary>What a new user meets: the shipped settings, the sample profile, runs that learn nothing, errors, durations, stops.</summary>
public sealed partial class FrontDoorTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-front-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void AppSettings_AsShipped_HoldsTheDocumentedDefaultsAndNoSource()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(WorkerProcess.RepositoryRoot, "appsettings.json")).Build();
        var bound = new StreamingClustersOptions();

        DurationConfiguration.Normalise(configuration.GetSection(StreamingClustersOptions.SectionName), DurationConfiguration.StreamingClustersKeys).Bind(bound);

        var json = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        Assert.Equal(JsonSerializer.Serialize(new StreamingClustersOptions(), json), JsonSerializer.Serialize(bound, json));
        Assert.Empty(bound.Sources);
    }

    [Fact]
    public async Task Run_SampleProfile_PrintsTheSampleModelAndOnlyTheSummaryOnStandardOutput()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(WorkerProcess.RepositoryRoot, null, "--config", "config/sample.json");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("Done: version 56, 59,942 points applied, 58 rejected, 60,000 received", run.Output, StringComparison.Ordinal);
        Assert.Contains("[46.987, 2.565, 0.432, 6.332, 12.641, 926.308]", run.Output, StringComparison.Ordinal);
        Assert.Contains("[96.952, 7.895, 2.835, 27.690, 51.940, 3337.424]", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("warn:", run.Output, StringComparison.Ordinal);
        Assert.Contains("Seeded 5 centroids", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Quiet_PrintsTheSummaryAndNothingElse()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(WorkerProcess.RepositoryRoot, null, "--config", "config/sample.json", "--quiet");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal(string.Empty, run.Error);
        Assert.StartsWith("Done: version 56", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoInput_ExitsTwoNamingTheWaysToGiveInput()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(WorkerProcess.RepositoryRoot, null);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        Assert.Equal(
            "error: No input: give --input PATH (a CSV or JSON-lines file, or - for standard input), --urls URL to receive points over HTTP, " +
            "or a profile with sources, such as --config config/sample.json (the sensor demo).\n",
            run.Error);
    }

    [Fact]
    public async Task Run_SystemdUnitAsShippedFromACopyOfTheBuildOutput_ServesReadsNoFileAndStopsWithZero()
    {
        // The unit's ExecStart, with the install directory being this build's output and the state directory a temporary one.
        string unit = File.ReadAllText(Path.Combine(WorkerProcess.RepositoryRoot, "samples", "streamingclusters.service"));
        Assert.DoesNotContain("sensors.csv", unit, StringComparison.Ordinal);
        string execStart = ExecStart().Match(unit).Groups[1].Value
            .Replace("/var/lib/streamingclusters", _dir.FullName, StringComparison.Ordinal)
            .Replace("http://127.0.0.1:5080", "http://127.0.0.1:0", StringComparison.Ordinal);
        string[] args = [.. execStart.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(a => !a.EndsWith(".dll", StringComparison.Ordinal)).Skip(1)];
        string installed = Directory.CreateDirectory(Path.Combine(_dir.FullName, "opt")).FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(installed, "appsettings.json"));

        await using var worker = RunningWorker.Start(installed, args);
        await worker.ErrorLineAsync("HTTP listening on");
        await worker.SignalAsync("TERM");
        WorkerProcess.Result run = await worker.ExitAsync();

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.DoesNotContain("sensors", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("stopped:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_JsonLinesOnStandardInputWithoutFormat_ExitsThreeHintingFormatJsonl()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, "{\"x\":1,\"y\":2}\n{\"x\":3,\"y\":4}\n", "--input", "-", "--clusters", "2");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("error: Nothing was learned: every record was rejected; the first, record 1 of stdin: field 2 has text after its closing quote.\n", run.Error, StringComparison.Ordinal);
        Assert.EndsWith("hint: the records look like JSON lines: read them with --format jsonl.\n", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_JsonFileOfJsonLines_IsReadAsJsonLines()
    {
        string input = Write("points.json", "{\"x\":1,\"y\":2}\n{\"x\":3,\"y\":4}\n{\"x\":5,\"y\":6}\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "2");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("Done: version 1, 3 points applied, 0 rejected", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x,y\n")]
    public async Task Run_EmptyOrHeaderOnlyFile_ExitsThreeSayingThereIsNoSnapshot(string text)
    {
        string input = Write("points.csv", text);
        string snapshot = Path.Combine(_dir.FullName, "model.json");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--snapshot-out", snapshot);

        Assert.Equal(3, run.ExitCode);
        Assert.EndsWith(
            $"error: Nothing was learned: the input ended without a single record (it is empty, or holds only a header); no snapshot was written to {snapshot} (there is no model).\n",
            run.Error,
            StringComparison.Ordinal);
        Assert.False(File.Exists(snapshot));
    }

    [Fact]
    public async Task Run_TextLabelColumn_ExitsThreeHintingColumnsWithTheNumericOnes()
    {
        string input = Write("hosts.csv", "host,cpu,memory\nweb-0,0.5,0.25\nweb-1,0.75,0.5\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "2");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains($"error: Nothing was learned: every record was rejected; the first, record 2 of {input}: value 0 (zero-based) 'web-0' is not a number.\n", run.Error, StringComparison.Ordinal);
        Assert.EndsWith(
            "hint: a column holds text (a label, a name, a date): pick the numeric columns with --columns, by header name or zero-based index (e.g. --columns cpu,memory).\n",
            run.Error,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TimeColumnUsedAsAFeature_WarnsOnceNamingColumns()
    {
        string input = Write("readings.csv", "timestamp,temperature,pressure\n1767225600,20.5,1.01\n1767225601,21.5,1.02\n1767225602,30.5,2.02\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "2");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Single(run.Error.Split('\n'), l => l.EndsWith(
            $"warn: Column 'timestamp' of {input} looks like a time and is used as a feature like any other number; pick the feature columns with --columns (e.g. --columns temperature,pressure).",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_QuotedHeaderWithSeparatorInAName_WarnsAboutTheTimeColumnAndHintsByIndex()
    {
        // The header is split as the sources split it (a quoted name may hold the separator), and the
        // hint names a column whose name holds a comma by its index, as --columns can take it.
        string input = Write("quoted.csv", "\"sample_time\",\"temperature, C\",pressure\n1767225600,20.5,1.01\n1767225601,21.5,1.02\n1767225602,30.5,2.02\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "2");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Single(run.Error.Split('\n'), l => l.EndsWith(
            $"warn: Column 'sample_time' of {input} looks like a time and is used as a feature like any other number; pick the feature columns with --columns (e.g. --columns 1,pressure).",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_MoreClustersThanPoints_ExitsThreeWithOneLineAndNoTrace()
    {
        string input = Write("two.csv", "x,y\n1,2\n3,4\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "3");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains(
            "error: Nothing was learned: Seeding needs at least 3 distinct points (k = 3), but the 2 buffered points hold only 2 distinct values.\nhint: ask for fewer clusters (--clusters K) or give more distinct points.\n",
            run.Error,
            StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error + run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownColumn_ExitsTwoNamingColumns()
    {
        string input = Write("two.csv", "x,y\n1,2\n3,4\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--columns", "x,z");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        Assert.Equal("Configuration refused: --columns 'z' is neither a column of the header (x, y) nor a column index below 2.\n", run.Error);
    }

    [Fact]
    public async Task Run_CheckpointOfAnotherShape_ExitsTwoWithOneLineAndNoTrace()
    {
        string input = Write("points.csv", string.Concat(Enumerable.Range(0, 40).Select(i => $"{i % 4},{i % 5}\n")));
        string checkpoint = Path.Combine(_dir.FullName, "model.ckpt");
        WorkerProcess.Result first = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "2", "--checkpoint", checkpoint);
        Assert.True(first.ExitCode == 0, first.Error);

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "3", "--checkpoint", checkpoint);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"error: The checkpoint '{checkpoint}' holds a model of k = 2, d = 2, but the configuration asks for k = 3", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error + run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RefusedSetting_PrintsOneLineOnStandardErrorAndNothingOnStandardOutput()
    {
        string input = Write("two.csv", "x,y\n1,2\n3,4\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        Assert.Equal("Configuration refused: StreamingClusters:Clusters must be between 1 and 65536.\n", run.Error);
    }

    [Fact]
    public async Task Run_DurationsInSwitchesAndProfile_AcceptTheOneSyntax()
    {
        string input = Write("two.csv", "x,y\n1,2\n3,4\n");
        string profile = Write("profile.json", """{ "StreamingClusters": { "BatchTimeout": "500ms", "Checkpoint": { "Interval": "10m" } }, "HostOptions": { "ShutdownTimeout": "30s" } }""");

        WorkerProcess.Result switches = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "1", "--batch-timeout", "1s", "--checkpoint-interval", "00:00:30");
        WorkerProcess.Result config = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, "--clusters", "1", "--config", profile);

        Assert.True(switches.ExitCode == 0, switches.Error);
        Assert.True(config.ExitCode == 0, config.Error);
    }

    [Theory]
    [InlineData("--batch-timeout", "1x", "--batch-timeout '1x' is not a duration: give one like 500ms, 30s, 10m, 2h or 00:00:30.\n")]
    [InlineData("--checkpoint-interval", "5", "--checkpoint-interval '5' is not a duration: give one like 500ms, 30s, 10m, 2h or 00:00:30.\n")]
    [InlineData("--StreamingClusters:BatchTimeout", "soon", "Configuration refused: StreamingClusters:BatchTimeout 'soon' is not a duration: give one like 500ms, 30s, 10m, 2h or 00:00:30.\n")]
    [InlineData("--HostOptions:ShutdownTimeout", "1 minute", "Configuration refused: HostOptions:ShutdownTimeout '1 minute' is not a duration: give one like 500ms, 30s, 10m, 2h or 00:00:30.\n")]
    public async Task Run_BadDuration_ExitsTwoNamingTheSetting(string name, string value, string expected)
    {
        string input = Write("two.csv", "x,y\n1,2\n3,4\n");

        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--input", input, name, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected, run.Error);
    }

    [Fact]
    public async Task Run_InterruptedBeforeTheInputEnded_SaysSoWritesTheSnapshotAndExitsOneThirty()
    {
        string snapshot = Path.Combine(_dir.FullName, "model.json");
        await using var worker = RunningWorker.Start(
            _dir.FullName, "--input", "-", "--clusters", "2", "--batch-size", "50", "--snapshot-out", snapshot, "--StreamingClusters:Seeding:BufferSize=100");
        var lines = new StringBuilder();
        for (int i = 0; i < 500; i++)
        {
            lines.Append(CultureInfo.InvariantCulture, $"{i % 2 * 10},{i % 7}\n");
        }

        // Standard input stays open: the input has not ended when the signal comes.
        await worker.Input.WriteAsync(lines.ToString());
        await worker.Input.FlushAsync();
        await worker.ErrorLineAsync("Seeded 2 centroids");
        await worker.SignalAsync("INT");
        WorkerProcess.Result run = await worker.ExitAsync();

        Assert.Equal(130, run.ExitCode);
        Assert.Matches($"stopped: SIGINT \\(Ctrl-C\\) arrived before the input ended; [0-9,]+ points applied; the snapshot of them is in {Regex.Escape(snapshot)}\\.\n$", run.Error);
        Assert.StartsWith("Done: version", run.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(snapshot));
    }

    [Fact]
    public async Task Help_ListsTheExitCodesAndTheDurationSyntax()
    {
        WorkerProcess.Result run = await WorkerProcess.RunAsync(_dir.FullName, null, "--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("  3    the input ended and nothing was learned from it", run.Output, StringComparison.Ordinal);
        Assert.Contains("  130  stopped by Ctrl-C (SIGINT) before the input ended; 143 for SIGTERM.", run.Output, StringComparison.Ordinal);
        Assert.Contains("are written 500ms, 30s, 10m, 2h or 00:00:30.", run.Output, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [GeneratedRegex(@"^ExecStart=(.*)$", RegexOptions.Multiline)]
    private static partial Regex ExecStart();
}
