using System.IO.Pipes;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sinks;

namespace StreamingClusters.Tests.Sources;

public sealed class FileSourceTests : IDisposable
{
    private readonly TempFiles _files = new();

    [Fact]
    public async Task RunAsync_StreamGoesIdle_FlushesTheBlockSoFarBeforeWaiting()
    {
        using var writer = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, writer.ClientSafePipeHandle);
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 100);
        var stage = new IngestStage(options, new CollectingDeadLetterSink());
        FileSource sut = SourceHarness.StreamSource(() => reader, new SourceOptions { HasHeader = false }, options);
        SourceIngest ingest = stage.Open(sut.Name);

        Task run = sut.RunAsync(ingest, CancellationToken.None);
        await writer.WriteAsync("1,2\n3,4\n"u8.ToArray());
        await writer.FlushAsync();
        PointBlock block = await stage.Reader.ReadAsync();
        writer.Dispose();
        await run;

        Assert.Equal([1f, 2f, 3f, 4f], block.Points.ToArray());
        Assert.Equal(-1, block.EndPosition);
        Assert.Equal(2, block.RecordsThrough);
        block.Return();
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaitingForInput_StopsAfterFlushing()
    {
        using var writer = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, writer.ClientSafePipeHandle);
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 100);
        var stage = new IngestStage(options, new CollectingDeadLetterSink());
        FileSource sut = SourceHarness.StreamSource(() => reader, new SourceOptions { HasHeader = false }, options);
        SourceIngest ingest = stage.Open(sut.Name);
        using var cancel = new CancellationTokenSource();

        Task run = sut.RunAsync(ingest, cancel.Token);
        await writer.WriteAsync("1,2\n"u8.ToArray());
        PointBlock block = await stage.Reader.ReadAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(1, block.Count);
        Assert.Equal((1, 0), (ingest.Counters.Received, ingest.Counters.Rejected));
        block.Return();
    }

    [Fact]
    public async Task ResumePosition_CsvWithColumnsByName_ReadsTheHeaderAgainAndContinuesLineNumbers()
    {
        string path = _files.Create("label,b,a\nx,1,2\ny,3,4\nz,5,oops\nw,7,8\n");
        var settings = new SourceOptions { Columns = ["a", "b"] };
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 1);
        FileSource sut = SourceHarness.FileSource(path, settings, options);
        sut.ResumePosition = "label,b,a\nx,1,2\n".Length;

        SourceRunResult run = await SourceHarness.RunAsync(sut, options);

        Assert.Null(run.Error);
        Assert.Equal([[4f, 3f], [8f, 7f]], run.Points);
        RejectedRecord rejected = Assert.Single(run.Rejected);
        Assert.Equal((4L, "value 0 (zero-based) 'oops' is not a number", "z,5,oops"), (rejected.Record, rejected.Reason, rejected.Raw));
    }

    [Fact]
    public async Task RunAsync_ColumnsThatTheHeaderLacks_FailsBeforeAnyRecordNamingTheSetting()
    {
        string path = _files.Create("a,b\n1,2\n");
        FileSource sut = SourceHarness.FileSource(path, new SourceOptions { Columns = ["c"] }, SourceHarness.Options());

        SourceRunResult run = await SourceHarness.RunAsync(sut);

        var error = Assert.IsType<InvalidOperationException>(run.Error);
        Assert.StartsWith("StreamingClusters:Sources:0:Columns:0 'c' is neither a column of the header", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, run.Counters.Received);
    }

    [Fact]
    public async Task RunAsync_EmptyAndBlankFiles_NoRecords()
    {
        foreach (string content in new[] { "", "\n", "\uFEFF", " \r\n\t\n" })
        {
            SourceRunResult run = await SourceHarness.RunAsync(SourceHarness.FileSource(_files.Create(content), new SourceOptions(), SourceHarness.Options()));

            Assert.Null(run.Error);
            Assert.Equal(0, run.Counters.Received);
            Assert.Empty(run.Blocks);
        }
    }

    [Fact]
    public async Task RunAsync_RunTwice_ReadsTheFileAgainWithAFreshHeader()
    {
        string path = _files.Create("a,b\n1,2\n");
        FileSource sut = SourceHarness.FileSource(path, new SourceOptions(), SourceHarness.Options());

        SourceRunResult first = await SourceHarness.RunAsync(sut);
        SourceRunResult second = await SourceHarness.RunAsync(sut);

        Assert.Equal(first.Points, second.Points);
        Assert.Single(second.Points);
    }

    public void Dispose() => _files.Dispose();
}
