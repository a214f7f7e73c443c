using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Batching;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Batching;

public sealed class BatcherTests
{
    private const int Dimensions = 2;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new();
    private readonly Channel<MiniBatch> _output = Channel.CreateUnbounded<MiniBatch>();
    private readonly IngestStage _ingest = new(new StreamingClustersOptions { Dimensions = Dimensions, BlockSize = 3 }, new RecordingDeadLetterSink());

    [Fact]
    public async Task RunAsync_BatchSizeReached_ClosesBatchesOfExactlyBWhateverTheBlockSizes()
    {
        Batcher batcher = CreateSut(batchSize: 4);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(10);
        _ingest.Complete();
        await running;

        int[] sizes = await ReadAllSizesAsync();
        Assert.Equal(new[] { 4, 4, 2 }, sizes);
    }

    [Fact]
    public async Task RunAsync_TimeoutPassesWithAPartialBatch_ClosesItThenAndNotBefore()
    {
        // The batch's time-out is a timer on the clock: once it is made, the batcher waits for it.
        var clock = new TimerWatchingTimeProvider(_time);
        var batcher = new Batcher(_ingest, _output.Writer, Dimensions, 100, Timeout, clock);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(5);
        await clock.TimerCreated;
        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(_output.Reader.TryRead(out _));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        MiniBatch batch = await _output.Reader.ReadAsync();

        Assert.Equal(5, batch.Count);
        _ingest.Complete();
        await running;
    }

    [Fact]
    public async Task RunAsync_InputCompletes_ClosesThePartialBatchAndCompletesTheOutput()
    {
        Batcher batcher = CreateSut(batchSize: 100);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(7);
        _ingest.Complete();
        await running;

        Assert.Equal(new[] { 7 }, await ReadAllSizesAsync());
        Assert.True(_output.Reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_SplitBlock_OnlyTheLastPartCompletesTheBlock()
    {
        Batcher batcher = CreateSut(batchSize: 2);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(3);
        _ingest.Complete();
        await running;

        MiniBatch first = await _output.Reader.ReadAsync();
        MiniBatch second = await _output.Reader.ReadAsync();
        bool[] completes = [.. first.Segments.Concat(second.Segments).Select(s => s.CompletesBlock)];
        Assert.Equal(new[] { false, true }, completes);
    }

    [Fact]
    public async Task RunAsync_BlocksOfExactlyB_EachBecomesOneBatchWithItsPointsAndPosition()
    {
        // Block size 3 = B: the blocks' buffers become the batches.
        Batcher batcher = CreateSut(batchSize: 3);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(7);
        _ingest.Complete();
        await running;

        MiniBatch[] batches = [.. await ReadAllAsync()];
        Assert.Equal(new[] { 3, 3, 1 }, batches.Select(b => b.Count));
        Assert.Equal(new float[] { 3, -3, 4, -4, 5, -5 }, batches[1].Points.ToArray());
        BatchSegment segment = Assert.Single(batches[1].Segments);
        Assert.Equal((3, 6L, 6L, true), (segment.Points, segment.EndPosition, segment.RecordsThrough, segment.CompletesBlock));
        Assert.Equal(new long[] { 1, 2, 3 }, batches.Select(b => b.Sequence));
        foreach (MiniBatch batch in batches)
        {
            batch.Return();
        }
    }

    [Fact]
    public async Task RunAsync_DeliverCallback_GetsTheSameBatchesInOrderOnItsThread()
    {
        var delivered = new List<(long Sequence, int Count, float First)>();
        var consumer = new RecordingBatchConsumer(b =>
        {
            delivered.Add((b.Sequence, b.Count, b.Points[0]));
            b.Return();
        });
        var batcher = new Batcher(_ingest, consumer, Dimensions, 4, Timeout, _time);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(10);
        _ingest.Complete();
        await running;

        Assert.Equal(new[] { (1L, 4, 0f), (2L, 4, 4f), (3L, 2, 8f) }, delivered);
    }

    [Fact]
    public async Task RunAsync_IdleCallback_CalledAfterTheDeliveriesBeforeEachWaitForInput()
    {
        // One block of eight points: it is in the channel at once, so both of its batches are handed
        // over before the batcher finds the channel empty.
        var ingest = new IngestStage(new StreamingClustersOptions { Dimensions = Dimensions, BlockSize = 8 }, new RecordingDeadLetterSink());
        var events = new List<string>();
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new RecordingBatchConsumer(
            b =>
            {
                events.Add($"batch {b.Sequence}");
                b.Return();
            },
            () =>
            {
                events.Add("idle");
                idle.TrySetResult();
            });
        var batcher = new Batcher(
            ingest,
            consumer,
            Dimensions,
            4,
            Timeout,
            _time);
        Task running = batcher.RunAsync(CancellationToken.None);
        await idle.Task;
        Assert.Equal(["idle"], events);
        events.Clear();
        idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        SourceIngest source = ingest.Open("test");
        for (int i = 0; i < 8; i++)
        {
            source.Accept([i, -i], default, i + 1, i + 1);
        }

        await source.FlushAsync(CancellationToken.None);
        await idle.Task;

        Assert.Equal(["batch 1", "batch 2", "idle"], events);
        ingest.Complete();
        await running;
    }

    [Fact]
    public async Task RunAsync_ConsumerLimitsTheNextBatch_CutsItThereAndThenGoesBackToB()
    {
        var sizes = new List<int>();
        RecordingBatchConsumer? consumer = null;
        consumer = new RecordingBatchConsumer(b =>
        {
            sizes.Add(b.Count);
            b.Return();
            consumer!.NextBatchLimit = int.MaxValue;
        })
        { NextBatchLimit = 3 };
        var batcher = new Batcher(_ingest, consumer, Dimensions, 4, Timeout, _time);
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(10);
        _ingest.Complete();
        await running;

        Assert.Equal(new[] { 3, 4, 3 }, sizes);
    }

    [Fact]
    public async Task RunAsync_InputQuietForTheConsumersPause_TellsItOnce()
    {
        var clock = new TimerWatchingTimeProvider(_time);
        var quiet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RecordingBatchConsumer? consumer = null;
        consumer = new RecordingBatchConsumer(b => b.Return())
        {
            QuietAfter = TimeSpan.FromSeconds(2),
            OnQuiet = () =>
            {
                consumer!.QuietAfter = null;
                quiet.TrySetResult();
            },
        };
        var batcher = new Batcher(_ingest, consumer, Dimensions, 4, Timeout, clock);
        Task running = batcher.RunAsync(CancellationToken.None);

        await clock.TimerCreated;
        _time.Advance(TimeSpan.FromSeconds(2));
        await quiet.Task;

        _ingest.Complete();
        await running;
    }

    private Batcher CreateSut(int batchSize) =>
        new(_ingest, _output.Writer, Dimensions, batchSize, Timeout, _time);

    private async Task WritePointsAsync(int count)
    {
        SourceIngest source = _ingest.Open("test");
        for (int i = 0; i < count; i++)
        {
            if (source.MustFlush)
            {
                await source.FlushAsync(CancellationToken.None);
            }

            source.Accept([i, -i], default, i + 1, i + 1);
        }

        await source.FlushAsync(CancellationToken.None);
    }

    private async Task<List<MiniBatch>> ReadAllAsync()
    {
        var batches = new List<MiniBatch>();
        await foreach (MiniBatch batch in _output.Reader.ReadAllAsync())
        {
            batches.Add(batch);
        }

        return batches;
    }

    private async Task<int[]> ReadAllSizesAsync()
    {
        var sizes = new List<int>();
        await foreach (MiniBatch batch in _output.Reader.ReadAllAsync())
        {
            sizes.Add(batch.Count);
            batch.Return();
        }

        return [.. sizes];
    }
}
