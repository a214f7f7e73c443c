using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sinks;
using StreamingClusters.Tests.Sources;

namespace StreamingClusters.Tests.Sinks;

public sealed class JsonLinesDeadLetterSinkTests : IDisposable
{
    private readonly TempFiles _files = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private JsonLinesDeadLetterSink CreateSut(string path) => new(path, _time);

    private static string[] ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task Write_Records_OneJsonLineEachWithSourceRecordReasonRawAndTime()
    {
        string path = _files.NewPath(".jsonl");
        await using (JsonLinesDeadLetterSink sut = CreateSut(path))
        {
            sut.Write(new RejectedRecord("sensors", 3, "value 2 'abc' is not a number", "1,abc,3"));
            _time.Advance(TimeSpan.FromSeconds(1));
            sut.Write(new RejectedRecord("sensors", 9, "field 'z' is missing", """{"x":1}"""));
        }

        Assert.Equal(
            [
                """{"source":"sensors","record":3,"reason":"value 2 'abc' is not a number","raw":"1,abc,3","time":"2026-01-02T03:04:05+00:00"}""",
                """{"source":"sensors","record":9,"reason":"field 'z' is missing","raw":"{\"x\":1}","time":"2026-01-02T03:04:06+00:00"}""",
            ],
            File.ReadAllText(path).Split('\n')[..2]);
        Assert.EndsWith("}\n", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ExistingFile_Appends()
    {
        string path = _files.Create("{\"earlier\":true}\n");
        using (JsonLinesDeadLetterSink sut = CreateSut(path))
        {
            sut.Write(new RejectedRecord("s", 1, "r", "x"));
        }

        string[] lines = ReadLines(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"earlier\":true}", lines[0]);
    }

    [Fact]
    public void Write_AwkwardText_StaysOneValidLineWithTheTextReadable()
    {
        string path = _files.NewPath(".jsonl");
        const string raw = "quote \" backslash \\ tab \t newline \n <tag> & é 漢 lone \ud800 end";
        using (JsonLinesDeadLetterSink sut = CreateSut(path))
        {
            sut.Write(new RejectedRecord("s", 1, "reason", raw));
        }

        string line = Assert.Single(ReadLines(path));
        Assert.Contains("<tag> & é 漢", line, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(line);
        Assert.Equal(raw.Replace('\ud800', '\uFFFD'), json.RootElement.GetProperty("raw").GetString());
    }

    [Fact]
    public async Task Write_FromManyThreads_EveryLineWhole()
    {
        string path = _files.NewPath(".jsonl");
        using (JsonLinesDeadLetterSink sut = CreateSut(path))
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task[] writers = [.. Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
            {
                await start.Task;
                for (int i = 0; i < 2000; i++)
                {
                    sut.Write(new RejectedRecord($"source-{t}", i, new string('r', i % 300), new string('x', i % 700)));
                }
            }))];
            start.SetResult();
            await Task.WhenAll(writers);
        }

        string[] lines = ReadLines(path);
        Assert.Equal(8000, lines.Length);
        var perSource = lines.Select(l => JsonDocument.Parse(l).RootElement)
            .GroupBy(e => e.GetProperty("source").GetString())
            .ToDictionary(g => g.Key!, g => g.Select(e => e.GetProperty("record").GetInt64()).ToArray());
        Assert.All(perSource.Values, records => Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), records));
    }

    [Fact]
    public async Task FlushAsync_WhileOpen_WhatWasWrittenIsInTheFile()
    {
        string path = _files.NewPath(".jsonl");
        using JsonLinesDeadLetterSink sut = CreateSut(path);
        sut.Write(new RejectedRecord("s", 1, "r", "x"));

        await sut.FlushAsync(CancellationToken.None);

        Assert.Single(ReadLines(path));
    }

    [Fact]
    public async Task Write_AfterDispose_Throws()
    {
        JsonLinesDeadLetterSink sut = CreateSut(_files.NewPath(".jsonl"));
        sut.Dispose();
        sut.Dispose();

        Assert.Throws<ObjectDisposedException>(() => sut.Write(new RejectedRecord("s", 1, "r", "x")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => sut.FlushAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Write_FromAFileSource_TheDeadLetterFileNamesEachBadLine()
    {
        string input = _files.Create("a,b\n1,2\n1,x\n" + new string('9', 300) + "\n3,4\n5\n");
        string path = _files.NewPath(".jsonl");
        StreamingClustersOptions options = SourceHarness.Options(maxRecordLength: 100);
        await using (JsonLinesDeadLetterSink sut = CreateSut(path))
        {
            var stage = new IngestStage(options, sut);
            SourceIngest ingest = stage.Open("in");
            Task drain = SourceHarness.DrainAsync(stage, new SourceRunResult(ingest.Counters, new CollectingDeadLetterSink()));
            await SourceHarness.FileSource(input, new() { Name = "in" }, options).RunAsync(ingest, CancellationToken.None);
            stage.Complete();
            await drain;
            await sut.FlushAsync(CancellationToken.None);
        }

        var rejected = ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("source").GetString(), e.GetProperty("record").GetInt64(), e.GetProperty("reason").GetString()))
            .ToArray();
        Assert.Equal(
            [
                ("in", 3L, "value 1 (zero-based) 'x' is not a number"),
                ("in", 4L, "the line is 300 bytes long, more than StreamingClusters:MaxRecordLength (100)"),
                ("in", 6L, "1 field where the header has 2"),
            ],
            rejected);
    }

    public void Dispose() => _files.Dispose();
}
