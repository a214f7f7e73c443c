using System.Globalization;
using System.Text;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

/// <summary>
/// A file parsed in chunks on several threads hands in exactly what a line-by-line read does: the same
/// points in the same blocks, the same counts, positions, line numbers and rejections.
/// </summary>
public sealed class ParallelLineParserTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(2, 37)]
    [InlineData(3, 256)]
    [InlineData(4, 4096)]
    public async Task RunAsync_MixedCsvInChunks_SameAsSerial(int threads, int chunkSize)
    {
        string path = _files.Create(MixedCsv(seed: threads));
        var settings = new SourceOptions { Name = "csv", Format = RecordFormat.Csv };

        (SourceRunResult serial, SourceRunResult parallel) = await RunBothAsync(path, settings, threads, chunkSize);

        Assert.True(serial.Rejected.Count > 50);
        AssertSame(serial, parallel);
    }

    [Theory]
    [InlineData(2, 300)]
    [InlineData(3, 5000)]
    public async Task RunAsync_MixedJsonLinesInChunks_SameAsSerial(int threads, int chunkSize)
    {
        var text = new StringBuilder();
        var random = new Random(threads);
        for (int i = 0; i < 600; i++)
        {
            text.Append(random.Next(20) switch
            {
                0 => """{"x":1,"y":"abc","z":3}""",
                1 => """{"x":1,"y":2}""",
                2 => "  ",
                3 => """{"x":1e39,"y":2,"z":3}""",
                _ => string.Create(CultureInfo.InvariantCulture, $$"""{"z":{{i}},"x":{{random.NextSingle()}},"y":-{{i}}.5}"""),
            }).Append(random.Next(4) == 0 ? "\r\n" : "\n");
        }

        string path = _files.Create(text.ToString());
        var settings = new SourceOptions { Name = "jsonl", Format = RecordFormat.JsonLines, Columns = ["x", "y", "z"] };

        (SourceRunResult serial, SourceRunResult parallel) = await RunBothAsync(path, settings, threads, chunkSize);

        Assert.True(serial.Rejected.Count > 30);
        AssertSame(serial, parallel);
    }

    [Fact]
    public async Task RunAsync_LineLongerThanAChunk_ReadsOnLineByLineAndStaysTheSame()
    {
        string body = MixedCsv(seed: 7);
        int middle = body.IndexOf('\n', body.Length / 2) + 1;
        string path = _files.Create(body[..middle] + "1," + new string('9', 3000) + ",2,3\n" + body[middle..]);
        var settings = new SourceOptions { Name = "csv", Format = RecordFormat.Csv };

        (SourceRunResult serial, SourceRunResult parallel) = await RunBothAsync(path, settings, threads: 2, chunkSize: 512);

        Assert.Contains(serial.Rejected, r => r.Reason.Contains("more than StreamingClusters:MaxRecordLength", StringComparison.Ordinal));
        AssertSame(serial, parallel);
    }

    [Fact]
    public async Task ResumePosition_AtEveryBlockEnd_ParallelContinuesAsSerial()
    {
        string path = _files.Create(MixedCsv(seed: 3, lines: 400));
        var settings = new SourceOptions { Name = "csv", Format = RecordFormat.Csv };
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 50, maxRecordLength: 200);
        SourceRunResult whole = await SourceHarness.RunAsync(SourceHarness.FileSource(path, settings, options), options);

        foreach (BlockSeen block in whole.Blocks.Where((_, i) => i % 3 == 0))
        {
            var serial = SourceHarness.FileSource(path, settings, options);
            var parallel = SourceHarness.FileSource(path, settings, options, parseThreads: 3, chunkSize: 100);
            serial.ResumePosition = parallel.ResumePosition = block.EndPosition;

            AssertSame(await SourceHarness.RunAsync(serial, options), await SourceHarness.RunAsync(parallel, options));
        }
    }

    [Fact]
    public async Task RunAsync_PathThatCannotSeek_ReadsLineByLineAsSerial()
    {
        // A named pipe given as a path opens as a stream without a length or positions.
        string path = _files.Create(MixedCsv(seed: 5, lines: 300));
        var settings = new SourceOptions { Name = "csv", Format = RecordFormat.Csv };
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 16, maxRecordLength: 200);
        var pipe = new FileSource("csv", path, () => new UnseekableStream(File.OpenRead(path)), PointSourceFactory.ParserFor(settings, "StreamingClusters:Sources:0"), 200, parseThreads: 2, chunkSize: 64);

        SourceRunResult run = await SourceHarness.RunAsync(pipe, options);

        AssertSame(await SourceHarness.RunAsync(SourceHarness.FileSource(path, settings, options), options), run);
    }

    private static async Task<(SourceRunResult Serial, SourceRunResult Parallel)> RunBothAsync(string path, SourceOptions settings, int threads, int chunkSize)
    {
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 16, maxRecordLength: 200);
        SourceRunResult serial = await SourceHarness.RunAsync(SourceHarness.FileSource(path, settings, options), options);
        SourceRunResult parallel = await SourceHarness.RunAsync(SourceHarness.FileSource(path, settings, options, parseThreads: threads, chunkSize: chunkSize), options);
        return (serial, parallel);
    }

    private static void AssertSame(SourceRunResult serial, SourceRunResult parallel)
    {
        Assert.Null(serial.Error);
        Assert.Null(parallel.Error);
        Assert.NotEmpty(serial.Points);
        Assert.Equal(serial.Points, parallel.Points);
        Assert.Equal(serial.Blocks, parallel.Blocks);
        Assert.Equal(serial.Rejected, parallel.Rejected);
        Assert.Equal(
            (serial.Counters.Received, serial.Counters.Rejected, serial.Counters.Applied),
            (parallel.Counters.Received, parallel.Counters.Rejected, parallel.Counters.Applied));
    }

    /// <summary>A CSV file with a header, good rows, and among them rows of every kind of trouble.</summary>
    private static string MixedCsv(int seed, int lines = 1500)
    {
        var random = new Random(seed);
        var text = new StringBuilder("\uFEFFa,b,c\n");
        for (int i = 0; i < lines; i++)
        {
            text.Append(random.Next(25) switch
            {
                0 => "1,abc,3",
                1 => "1,2",
                2 => "",
                3 => " \t",
                4 => "1,nan,3",
                5 => "1,1e20,3",
                6 => "1,1e39,3",
                7 => "é,1,2",
                8 => "1,\"2,3",
                9 => new string('7', 250),
                10 => "1,2,3,4",
                _ => string.Create(CultureInfo.InvariantCulture, $"{random.NextSingle() * 10},{-i},\" {i}.25 \""),
            }).Append(random.Next(5) == 0 ? "\r\n" : "\n");
        }

        return text.Append("4,5,6").ToString();
    }

    /// <summary>A stream read front to back only, as a named pipe is.</summary>
    private sealed class UnseekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
