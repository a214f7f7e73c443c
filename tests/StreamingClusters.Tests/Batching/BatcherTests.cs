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
        Batcher batcher = CreateSut(batchSize: 100);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        batcher.WaitingForTimeout = () => waiting.TrySetResult();
        Task running = batcher.RunAsync(CancellationToken.None);

        await WritePointsAsync(5);
        await waiting.Task;
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
