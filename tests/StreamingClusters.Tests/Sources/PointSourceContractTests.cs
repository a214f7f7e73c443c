using System.Text;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sinks;

namespace StreamingClusters.Tests.Sources;

/// <summary>
/// The contract every line-oriented source keeps, run against each format and each kind of input:
/// every record is accepted or rejected exactly once, in order, with its line number and reason;
/// blank lines, CRLF, a byte-order mark and a missing final newline change nothing; a too-long line
/// is rejected without stopping the stream; a cancelled source still flushes what it handed in.
/// </summary>
public abstract class PointSourceContractTests : IDisposable
{
    private protected TempFiles Files { get; } = new();

    /// <summary>Gets the format's settings (format, columns, header).</summary>
    private protected abstract SourceOptions Settings { get; }

    /// <summary>Gets the header line, or null when the format has none.</summary>
    protected virtual string? Header => null;

    /// <summary>Gets lines the format must reject, each with a part of its expected reason.</summary>
    protected abstract IReadOnlyList<(string Line, string Reason)> BadLines { get; }

    /// <summary>Formats a point as one line of the format.</summary>
    protected abstract string Line(float[] values);

    /// <summary>Creates the source under test over <paramref name="content"/>.</summary>
    private protected abstract FileSource CreateSut(byte[] content, StreamingClustersOptions options, int bufferSize = Utf8LineReader.DefaultBufferSize);

    protected static float[] Point(int i) => [i, i + 0.5f, -i];

    protected string Records(int from, int count, string newline = "\n") =>
        string.Concat(Enumerable.Range(from, count).Select(i => Line(Point(i)) + newline));

    protected string WithHeader(string body, string newline = "\n") => Header is null ? body : Header + newline + body;

    private protected int HeaderLines => Header is null ? 0 : 1;

    private protected FileSource CreateSut(string content, StreamingClustersOptions? options = null, int bufferSize = Utf8LineReader.DefaultBufferSize) =>
        CreateSut(Encoding.UTF8.GetBytes(content), options ?? SourceHarness.Options(), bufferSize);

    [Fact]
    public async Task RunAsync_GoodRecords_PointsArriveInOrderInFullBlocks()
    {
        FileSource sut = CreateSut(WithHeader(Records(0, 10)));

        SourceRunResult run = await SourceHarness.RunAsync(sut, SourceHarness.Options(blockSize: 4));

        Assert.Null(run.Error);
        Assert.Equal(Enumerable.Range(0, 10).Select(Point), run.Points);
        Assert.Equal([4, 4, 2], run.Blocks.Select(b => b.Count));
        Assert.Equal([4L, 8, 10], run.Blocks.Select(b => b.RecordsThrough));
        Assert.Equal((10, 10, 0, 0), (run.Counters.Received, run.Counters.Applied, run.Counters.Rejected, run.Counters.InFlight));
        Assert.Empty(run.Rejected);
    }

    [Fact]
    public async Task RunAsync_BadRecordsAmongGood_EachRejectedOnceWithLineReasonAndRaw()
    {
        var content = new StringBuilder(WithHeader(""));
        var expected = new List<(long Line, string Reason, string Raw)>();
        int line = HeaderLines;
        int good = 0;
        foreach ((string bad, string reason) in BadLines)
        {
            content.Append(Line(Point(good++))).Append('\n');
            content.Append(bad).Append('\n');
            line += 2;
            expected.Add((line, reason, bad));
        }

        content.Append(Line(Point(good++))).Append('\n');
        FileSource sut = CreateSut(content.ToString());

        SourceRunResult run = await SourceHarness.RunAsync(sut);

        Assert.Null(run.Error);
        Assert.Equal(Enumerable.Range(0, good).Select(Point), run.Points);
        Assert.Equal(expected.Count, run.Rejected.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Line, run.Rejected[i].Record);
            Assert.Contains(expected[i].Reason, run.Rejected[i].Reason, StringComparison.Ordinal);
            Assert.Equal(expected[i].Raw, run.Rejected[i].Raw);
            Assert.Equal(sut.Name, run.Rejected[i].Source);
        }

        Assert.Equal(good + expected.Count, run.Counters.Received);
        Assert.Equal((long)good, run.Counters.Applied);
        Assert.Equal(expected.Count, run.Counters.Rejected);
        Assert.Equal(0, run.Counters.InFlight);
    }

    [Fact]
    public async Task RunAsync_CrLfBlankLinesBomAndNoFinalNewline_SameRecordsAsPlainLf()
    {
        string plain = WithHeader(Records(0, 6));
        string messy = "\uFEFF" + WithHeader("\r\n" + Records(0, 3, "\r\n") + "   \r\n\r\n\t\n" + Records(3, 3, "\r\n").TrimEnd('\r', '\n'), "\r\n");

        SourceRunResult expected = await SourceHarness.RunAsync(CreateSut(plain));
        SourceRunResult run = await SourceHarness.RunAsync(CreateSut(messy));

        Assert.Null(run.Error);
        Assert.Empty(run.Rejected);
        Assert.Equal(expected.Points, run.Points);
        Assert.Equal(6, run.Counters.Received);
    }

    [Fact]
    public async Task RunAsync_LastLineWithoutNewline_IsARecord()
    {
        FileSource sut = CreateSut(WithHeader(Records(0, 2) + Line(Point(2))));

        SourceRunResult run = await SourceHarness.RunAsync(sut);

        Assert.Equal(Enumerable.Range(0, 3).Select(Point), run.Points);
    }

    [Fact]
    public async Task RunAsync_LineLongerThanLimit_RejectedAndTheNextLineStillRead()
    {
        string tooLong = new('9', 5000);
        string content = WithHeader(Records(0, 1) + tooLong + "\r\n" + Records(1, 1) + tooLong);
        FileSource sut = CreateSut(content, SourceHarness.Options(maxRecordLength: 100), bufferSize: 128);

        SourceRunResult run = await SourceHarness.RunAsync(sut, SourceHarness.Options(maxRecordLength: 100));

        Assert.Null(run.Error);
        Assert.Equal([Point(0), Point(1)], run.Points);
        Assert.Equal([2L + HeaderLines, 4L + HeaderLines], run.Rejected.Select(r => r.Record));
        Assert.All(run.Rejected, r => Assert.Equal("the line is 5000 bytes long, more than StreamingClusters:MaxRecordLength (100)", r.Reason));
        Assert.All(run.Rejected, r => Assert.Equal(new string('9', 1024), r.Raw));
        Assert.Equal(4, run.Counters.Received);
    }

    [Fact]
    public async Task RunAsync_InvalidUtf8_RejectedWithItsBytePosition()
    {
        byte[] bad = [.. Encoding.UTF8.GetBytes("1"), 0xFF, .. Encoding.UTF8.GetBytes("2")];
        byte[] content = [.. Encoding.UTF8.GetBytes(WithHeader(Records(0, 1))), .. bad, (byte)'\n', .. Encoding.UTF8.GetBytes(Records(1, 1))];
        FileSource sut = CreateSut(content, SourceHarness.Options());

        SourceRunResult run = await SourceHarness.RunAsync(sut);

        Assert.Equal([Point(0), Point(1)], run.Points);
        RejectedRecord rejected = Assert.Single(run.Rejected);
        Assert.Equal(2 + HeaderLines, rejected.Record);
        Assert.Equal("invalid UTF-8 at byte 2", rejected.Reason);
        Assert.Equal("1\uFFFD2", rejected.Raw);
    }

    [Fact]
    public async Task RunAsync_CancelledWithAFullBlock_FlushesEverythingHandedInThenThrows()
    {
        // Block 1: records 0-3. Block 2: records 4-6 and 8; the rejection of line 7 cancels the run,
        // so the full block 2 meets a cancelled token and must still reach the channel.
        var lines = Enumerable.Range(0, 12).Select(i => Line(Point(i))).ToArray();
        lines[7] = BadLines[0].Line;
        string content = WithHeader(string.Concat(lines.Select(l => l + "\n")));
        using var cancel = new CancellationTokenSource();
        var deadLetters = new CollectingDeadLetterSink { OnWrite = _ => cancel.Cancel() };

        SourceRunResult run = await SourceHarness.RunAsync(CreateSut(content), SourceHarness.Options(blockSize: 4), deadLetters, cancel.Token);

        Assert.IsAssignableFrom<OperationCanceledException>(run.Error);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 6, 8 }.Select(Point), run.Points);
        Assert.Equal((9, 8, 1, 0), (run.Counters.Received, run.Counters.Applied, run.Counters.Rejected, run.Counters.InFlight));
        Assert.Equal(9, run.Blocks[^1].RecordsThrough);
    }

    public void Dispose()
    {
        Files.Dispose();
        GC.SuppressFinalize(this);
    }
}
