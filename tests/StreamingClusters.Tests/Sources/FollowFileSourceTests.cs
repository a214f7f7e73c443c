using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sinks;

namespace StreamingClusters.Tests.Sources;

public sealed class FollowFileSourceTests : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <summary>A guard against a hung test, not a wait for the source: every step awaits a signal.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly TempFiles _files = new();
    private readonly SignallingTimeProvider _time = new();
    private readonly CollectingDeadLetterSink _deadLetters = new();
    private readonly CancellationTokenSource _cancel = new();

    [Fact]
    public async Task RunAsync_LinesAppended_ReadAfterThePoll()
    {
        string path = _files.Create("1,2\n3,4\n");
        await using var run = Start(CreateSut(path));

        Assert.Equal([[1f, 2f], [3f, 4f]], (await run.NextBlockAsync()).Points);
        await AppendWhenWaitingAsync(path, "5,6\n");

        BlockRead block = await run.NextBlockAsync();
        Assert.Equal([[5f, 6f]], block.Points);
        Assert.Equal(12, block.EndPosition);
    }

    [Fact]
    public async Task RunAsync_PartialLine_NotAppliedUntilItsNewlineArrives()
    {
        string path = _files.Create("1,2\n");
        await using var run = Start(CreateSut(path));
        await run.NextBlockAsync();

        await AppendWhenWaitingAsync(path, "7,");
        await AppendWhenWaitingAsync(path, "8\n");

        BlockRead block = await run.NextBlockAsync();
        Assert.Equal([[7f, 8f]], block.Points);
        Assert.Equal(8, block.EndPosition);
        Assert.Equal(2, run.Ingest.Counters.Received);
    }

    [Fact]
    public async Task RunAsync_FileTruncated_ReadsTheNewContentFromItsStart()
    {
        string path = _files.Create("1,2\n3,4\n5,");
        await using var run = Start(CreateSut(path));
        await run.NextBlockAsync();

        await _time.TimerCreated.WaitAsync(Guard);
        File.WriteAllText(path, "9,9\n");
        _time.Advance(Poll);

        BlockRead block = await run.NextBlockAsync();
        Assert.Equal([[9f, 9f]], block.Points);
        Assert.Equal(4, block.EndPosition);
        RejectedRecord rejected = Assert.Single(_deadLetters.Records);
        Assert.Equal((3L, "5,", "the line has no line break (2 bytes) and never will: the file was truncated"), (rejected.Record, rejected.Raw, rejected.Reason));
    }

    [Fact]
    public async Task RunAsync_FileRotated_ReadsTheRestOfTheOldFileThenTheNewFile()
    {
        string path = _files.Create("x,y\n1,2\n");
        string rotated = _files.NewPath(".csv");
        await using var run = Start(CreateSut(path));
        await run.NextBlockAsync();

        await _time.TimerCreated.WaitAsync(Guard);
        File.AppendAllText(path, "3,4\n5,");
        File.Move(path, rotated);
        File.WriteAllText(path, "x,y\n7,8\n");
        _time.Advance(Poll);

        BlockRead old = await run.NextBlockAsync();
        BlockRead next = await run.NextBlockAsync();
        Assert.Equal([[3f, 4f]], old.Points);
        Assert.Equal(12, old.EndPosition);
        Assert.Equal([[7f, 8f]], next.Points);
        Assert.Equal(8, next.EndPosition);
        RejectedRecord rejected = Assert.Single(_deadLetters.Records);
        Assert.Equal((4L, "5,", "the line has no line break (2 bytes) and never will: the file was replaced (rotated)"), (rejected.Record, rejected.Raw, rejected.Reason));
    }

    [Fact]
    public async Task RunAsync_FileDeletedThenCreated_ReadsTheNewFile()
    {
        string path = _files.Create("1,2\n");
        await using var run = Start(CreateSut(path));
        await run.NextBlockAsync();

        await _time.TimerCreated.WaitAsync(Guard);
        File.Delete(path);
        _time.Advance(Poll);
        await _time.TimerCreated.WaitAsync(Guard);
        File.WriteAllText(path, "3,4\n");
        _time.Advance(Poll);

        Assert.Equal([[3f, 4f]], (await run.NextBlockAsync()).Points);
    }

    [Fact]
    public async Task RunAsync_FileMissingAtStart_WaitsForIt()
    {
        string path = _files.NewPath(".csv");
        await using var run = Start(CreateSut(path));

        await _time.TimerCreated.WaitAsync(Guard);
        File.WriteAllText(path, "1,2\n");
        _time.Advance(Poll);

        Assert.Equal([[1f, 2f]], (await run.NextBlockAsync()).Points);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaiting_EndsAtOnceLeavingAPartialLineUnread()
    {
        string path = _files.Create("1,2\n3,");
        await using var run = Start(CreateSut(path));
        await run.NextBlockAsync();
        await _time.TimerCreated.WaitAsync(Guard);

        await _cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Source.WaitAsync(Guard));
        Assert.Equal((1L, 1L), (run.Ingest.Counters.Received, run.Ingest.Counters.Applied));
        Assert.Empty(_deadLetters.Records);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileTheChannelIsFull_FlushesEverythingHandedIn()
    {
        string path = _files.Create("1,2\n3,4\n5,6\n7,8\n");
        var options = SourceHarness.Options(blockSize: 2, channelBlocks: 1);

        // Reads are synchronous: the source has filled the channel and waits for room when RunAsync returns.
        await using var run = Start(CreateSut(path, options), options);
        await _cancel.CancelAsync();
        BlockRead first = await run.NextBlockAsync();
        BlockRead second = await run.NextBlockAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.Source.WaitAsync(Guard));
        Assert.Equal([[1f, 2f], [3f, 4f], [5f, 6f], [7f, 8f]], [.. first.Points, .. second.Points]);
        Assert.Equal(16, second.EndPosition);
    }

    [Fact]
    public async Task RunAsync_ResumePosition_ContinuesAfterItWithTheHeaderRead()
    {
        string path = _files.Create("x,y\n1,2\n3,4\n");
        FollowFileSource sut = CreateSut(path, columns: ["y"]);
        sut.ResumePosition = 8;
        await using var run = Start(sut);

        BlockRead block = await run.NextBlockAsync();
        Assert.Equal([[4f]], block.Points);
        Assert.Equal(12, block.EndPosition);
        await AppendWhenWaitingAsync(path, "5,6\n");
        Assert.Equal([[6f]], (await run.NextBlockAsync()).Points);
    }

    [Fact]
    public async Task RunAsync_ResumePositionBeyondTheFile_ReadsItFromItsStart()
    {
        string path = _files.Create("1,2\n");
        FollowFileSource sut = CreateSut(path);
        sut.ResumePosition = 100;
        await using var run = Start(sut);

        Assert.Equal([[1f, 2f]], (await run.NextBlockAsync()).Points);
    }

    [Fact]
    public async Task RunAsync_ResumePositionInsideALine_Refused()
    {
        string path = _files.Create("1,2\n3,4\n");
        FollowFileSource sut = CreateSut(path);
        sut.ResumePosition = 5;
        await using var run = Start(sut);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => run.Source.WaitAsync(Guard));
        Assert.Equal($"The source 'follow' cannot resume at byte 5 of '{path}': no line ends there (did the file change since the checkpoint?).", error.Message);
    }

    [Fact]
    public void Properties_NotFiniteAndReplayable()
    {
        FollowFileSource sut = CreateSut("x.csv");

        Assert.Equal((false, 0L), (sut.IsFinite, sut.ResumePosition));
        Assert.Throws<ArgumentOutOfRangeException>(() => sut.ResumePosition = -1);
    }

    public void Dispose()
    {
        _cancel.Dispose();
        _files.Dispose();
    }

    private FollowFileSource CreateSut(string path, StreamingClustersOptions? options = null, string[]? columns = null) => new(
        "follow",
        path,
        PointSourceFactory.ParserFor(new SourceOptions { Columns = columns ?? [] }, "StreamingClusters:Sources:0"),
        (options ?? SourceHarness.Options()).MaxRecordLength,
        Poll,
        _time);

    /// <summary>Appends once the source waits for its next poll, and lets that poll come.</summary>
    private async Task AppendWhenWaitingAsync(string path, string text)
    {
        await _time.TimerCreated.WaitAsync(Guard);
        File.AppendAllText(path, text, new UTF8Encoding(false));
        _time.Advance(Poll);
    }

    private Run Start(IPointSource source, StreamingClustersOptions? options = null)
    {
        var stage = new IngestStage(options ?? SourceHarness.Options(), _deadLetters);
        SourceIngest ingest = stage.Open(source.Name);
        return new Run(stage, ingest, source.RunAsync(ingest, _cancel.Token), _cancel);
    }

    private sealed record BlockRead(float[][] Points, long EndPosition);

    /// <summary>A running source whose blocks the test reads one at a time.</summary>
    private sealed class Run(IngestStage stage, SourceIngest ingest, Task source, CancellationTokenSource cancel) : IAsyncDisposable
    {
        public SourceIngest Ingest { get; } = ingest;

        public Task Source { get; } = source;

        public async Task<BlockRead> NextBlockAsync()
        {
            PointBlock block = await stage.Reader.ReadAsync().AsTask().WaitAsync(Guard);
            stage.Consumed(block);
            float[][] points = [.. Enumerable.Range(0, block.Count).Select(i => block.Points.Slice(i * block.Dimensions, block.Dimensions).ToArray())];
            var read = new BlockRead(points, block.EndPosition);
            block.Source.AddApplied(block.Count);
            block.Return();
            return read;
        }

        public async ValueTask DisposeAsync()
        {
            await cancel.CancelAsync();
            try
            {
                await Source.WaitAsync(Guard);
            }
            catch (OperationCanceledException)
            {
            }
            catch (InvalidDataException)
            {
            }

            stage.Complete();
        }
    }

    /// <summary>A fake clock that signals each timer created, so a test knows the source waits for its poll.</summary>
    private sealed class SignallingTimeProvider : FakeTimeProvider
    {
        public SemaphoreSlim TimerCreated { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            ITimer timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.Release();
            return timer;
        }
    }
}
