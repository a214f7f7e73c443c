using System.Text;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

/// <summary>
/// The contract of a source read from a file: each block carries the byte offset just past its last
/// record, and a restart from that offset delivers exactly the records after it, with the same line
/// numbers and the header still read.
/// </summary>
public abstract class ReplayableSourceContractTests : PointSourceContractTests
{
    /// <summary>Gets how many threads parse the file: 1 reads it line by line.</summary>
    private protected virtual int ParseThreads => 1;

    /// <summary>Gets the size of the chunks parsed in parallel: small, so that the contract's files span many.</summary>
    private protected virtual int ChunkSize => ParallelLineParser.DefaultChunkSize;

    private protected override FileSource CreateSut(byte[] content, StreamingClustersOptions options, int bufferSize = Utf8LineReader.DefaultBufferSize) =>
        NewFileSource(Files.Create(content), options, bufferSize);

    private protected FileSource NewFileSource(string path, StreamingClustersOptions options, int bufferSize = Utf8LineReader.DefaultBufferSize) =>
        SourceHarness.FileSource(path, Settings, options, bufferSize, ParseThreads, ChunkSize);

    [Fact]
    public async Task ResumePosition_AtEveryBlockEnd_DeliversExactlyTheRemainingRecords()
    {
        var content = new StringBuilder(WithHeader(Records(0, 5)));
        content.Append(BadLines[0].Line).Append("\r\n").Append(Records(5, 5)).Append(BadLines[^1].Line);
        string path = Files.Create("\uFEFF" + content);
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 3);
        SourceRunResult whole = await SourceHarness.RunAsync(NewFileSource(path, options), options);

        foreach (BlockSeen block in whole.Blocks)
        {
            FileSource sut = NewFileSource(path, options);
            sut.ResumePosition = block.EndPosition;

            SourceRunResult rest = await SourceHarness.RunAsync(sut, options);

            Assert.Null(rest.Error);
            int before = whole.Blocks.TakeWhile(b => b != block).Sum(b => b.Count) + block.Count;
            Assert.Equal(whole.Points.Skip(before), rest.Points);
            long remaining = whole.Counters.Received - block.RecordsThrough;
            Assert.Equal(remaining, rest.Counters.Received);
            Assert.Equal(remaining - rest.Points.Count, rest.Rejected.Count);
            Assert.Equal(whole.Rejected.Skip(whole.Rejected.Count - rest.Rejected.Count), rest.Rejected);
        }
    }

    [Fact]
    public async Task ResumePosition_AfterARejectedLastRecord_TheRejectionsPositionTravelsAndNothingIsLeft()
    {
        string path = Files.Create(WithHeader(Records(0, 2) + BadLines[0].Line + "\n"));
        SourceRunResult whole = await SourceHarness.RunAsync(NewFileSource(path, SourceHarness.Options()));
        FileSource sut = NewFileSource(path, SourceHarness.Options());
        sut.ResumePosition = whole.LastPosition;

        SourceRunResult rest = await SourceHarness.RunAsync(sut);

        Assert.Equal(new FileInfo(path).Length, whole.LastPosition);
        Assert.Null(rest.Error);
        Assert.Empty(rest.Points);
        Assert.Equal(0, rest.Counters.Received);
    }

    [Fact]
    public async Task ResumePosition_InsideALine_ThrowsNamingTheSourceAndPosition()
    {
        string path = Files.Create(WithHeader(Records(0, 3)));
        FileSource sut = NewFileSource(path, SourceHarness.Options());
        sut.ResumePosition = new FileInfo(path).Length - 2;

        SourceRunResult run = await SourceHarness.RunAsync(sut);

        var error = Assert.IsType<InvalidDataException>(run.Error);
        Assert.Contains($"cannot resume at byte {sut.ResumePosition}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, run.Counters.Received);
    }

    [Fact]
    public async Task ResumePosition_PastTheEnd_ThrowsSayingTheFileIsShorter()
    {
        string path = Files.Create(WithHeader(Records(0, 3)));
        FileSource sut = NewFileSource(path, SourceHarness.Options());
        sut.ResumePosition = new FileInfo(path).Length + 1;

        SourceRunResult run = await SourceHarness.RunAsync(sut);

        var error = Assert.IsType<InvalidDataException>(run.Error);
        Assert.Contains($"the file has only {new FileInfo(path).Length} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_File_BlocksCarryTheOffsetPastTheirLastRecord()
    {
        string body = Records(0, 4);
        string path = Files.Create(WithHeader(body));
        StreamingClustersOptions options = SourceHarness.Options(blockSize: 2);

        SourceRunResult run = await SourceHarness.RunAsync(NewFileSource(path, options), options);

        int headerBytes = Header is null ? 0 : Encoding.UTF8.GetByteCount(Header) + 1;
        int twoLines = Encoding.UTF8.GetByteCount(Records(0, 2));
        Assert.Equal([headerBytes + twoLines, new FileInfo(path).Length], run.Blocks.Select(b => b.EndPosition));
    }
}

/// <summary>The contract of a source read once from a stream, as standard input is: no positions.</summary>
public abstract class StreamSourceContractTests : PointSourceContractTests
{
    private protected override FileSource CreateSut(byte[] content, StreamingClustersOptions options, int bufferSize = Utf8LineReader.DefaultBufferSize) =>
        SourceHarness.StreamSource(() => new MemoryStream(content, writable: false), Settings, options, bufferSize);

    [Fact]
    public async Task RunAsync_Stream_BlocksCarryNoPosition()
    {
        SourceRunResult run = await SourceHarness.RunAsync(CreateSut(WithHeader(Records(0, 5))));

        Assert.Equal(5, run.Points.Count);
        Assert.All(run.Blocks, b => Assert.Equal(-1, b.EndPosition));
    }

    [Fact]
    public void ResumePosition_Stream_IsMinusOneAndCannotBeSet()
    {
        FileSource sut = CreateSut(Records(0, 1));

        Assert.Equal(-1, sut.ResumePosition);
        Assert.True(sut.IsFinite);
        Assert.Throws<NotSupportedException>(() => sut.ResumePosition = 10);
    }
}
