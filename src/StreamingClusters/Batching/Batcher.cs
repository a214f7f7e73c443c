using System.Threading.Channels;
using StreamingClusters.Ingest;

namespace StreamingClusters.Batching;

/// <summary>
/// Cuts the stream of blocks into mini-batches: a batch closes at B points, or once T has passed since
/// its first point arrived, whichever comes first, so a trickle of points still updates the model.
/// Blocks are split across batches where needed, so batches from a steady stream hold exactly B points
/// whatever the block sizes.
/// </summary>
internal sealed class Batcher
{
    private readonly IngestStage _ingest;
    private readonly ChannelReader<PointBlock> _input;
    private readonly ChannelWriter<MiniBatch>? _output;
    private readonly IBatchConsumer? _consumer;
    private readonly int _dimensions;
    private readonly int _batchSize;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private long _sequence;

    /// <summary>Creates a batcher that writes its batches into <paramref name="output"/> and completes it at the end.</summary>
    public Batcher(IngestStage ingest, ChannelWriter<MiniBatch> output, int dimensions, int batchSize, TimeSpan timeout, TimeProvider time)
        : this(ingest, dimensions, batchSize, timeout, time)
    {
        _output = output;
    }

    /// <summary>
    /// Creates a batcher that hands each batch to <paramref name="consumer"/> on its own thread, which
    /// then owns the batch: no queue and no thread switch between a batch and its consumer.
    /// </summary>
    /// <param name="ingest">The ingest stage whose channel is read.</param>
    /// <param name="consumer">Takes each batch, and hears of the batcher's idle moments and of pauses in the input.</param>
    /// <param name="dimensions">The dimension of the points.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="timeout">T.</param>
    /// <param name="time">The clock for T.</param>
    public Batcher(IngestStage ingest, IBatchConsumer consumer, int dimensions, int batchSize, TimeSpan timeout, TimeProvider time)
        : this(ingest, dimensions, batchSize, timeout, time)
    {
        _consumer = consumer;
    }

    private Batcher(IngestStage ingest, int dimensions, int batchSize, TimeSpan timeout, TimeProvider time)
    {
        _ingest = ingest;
        _input = ingest.Reader;
        _dimensions = dimensions;
        _batchSize = batchSize;
        _timeout = timeout;
        _time = time;
    }

    /// <summary>Gets the points the batcher took in but never delivered, because the drain was abandoned.</summary>
    public long Abandoned { get; private set; }

    /// <summary>Runs until the input completes and every block is batched; then completes the output (if it is a channel).</summary>
    /// <param name="abort">Aborts without draining (a failure elsewhere).</param>
    /// <param name="abandon">
    /// Abandons the drain at the next batch boundary: the batch being filled and every block still in
    /// the input (until it completes) are dropped and counted in <see cref="Abandoned"/>, never delivered.
    /// </param>
    /// <returns>A task that completes when the output is complete.</returns>
    public async Task RunAsync(CancellationToken abort, CancellationToken abandon = default)
    {
        Exception? failure = null;
        MiniBatch? batch = null;
        try
        {
            long deadline = 0;
            while (!abandon.IsCancellationRequested)
            {
                while (!abandon.IsCancellationRequested && _input.TryRead(out PointBlock? block))
                {
                    _ingest.Consumed(block);
                    int offset = 0;
                    if (batch is null && block.Count == _batchSize && block.Dimensions == _dimensions && NextBatchSize() == _batchSize)
                    {
                        // A block that is a whole batch becomes the batch: its buffer changes hands, uncopied.
                        MiniBatch whole = MiniBatch.FromBlock(block, ++_sequence);
                        await DeliverAsync(whole, abort).ConfigureAwait(false);
                        continue;
                    }

                    do
                    {
                        if (batch is null)
                        {
                            batch = new MiniBatch(_dimensions, NextBatchSize(), ++_sequence, _ingest.Buffers);
                            deadline = _time.GetTimestamp();
                        }

                        offset += batch.Take(block, offset);
                        if (batch.IsFull)
                        {
                            if (abandon.IsCancellationRequested)
                            {
                                break;
                            }

                            await DeliverAsync(batch, abort).ConfigureAwait(false);
                            batch = null;
                        }
                    }
                    while (offset < block.Count);
                    Abandoned += block.Count - offset;
                    block.Return();
                }

                if (abandon.IsCancellationRequested)
                {
                    break;
                }

                _consumer?.Idle();
                if (batch is null)
                {
                    bool? input = _consumer?.QuietAfter is { } quiet
                        ? await WaitAsync(quiet, abort, abandon).ConfigureAwait(false)
                        : await WaitForInputAsync(abort, abandon).ConfigureAwait(false);
                    if (input is null && !abandon.IsCancellationRequested)
                    {
                        // The input has been quiet for as long as the consumer asked.
                        _consumer!.InputQuiet();
                        continue;
                    }

                    if (input != true)
                    {
                        break;
                    }

                    continue;
                }

                TimeSpan remaining = _timeout - _time.GetElapsedTime(deadline);
                bool? ready = remaining > TimeSpan.Zero ? await WaitAsync(remaining, abort, abandon).ConfigureAwait(false) : null;
                if (ready != true && !abandon.IsCancellationRequested)
                {
                    // The batch's time is up, or the input has ended: close the batch as it is.
                    await DeliverAsync(batch, abort).ConfigureAwait(false);
                    batch = null;
                }
            }

            if (abandon.IsCancellationRequested)
            {
                await DiscardAsync(batch, abort).ConfigureAwait(false);
                batch = null;
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            if (batch is not null && failure is not null)
            {
                batch.Return();
            }

            _output?.TryComplete(failure);
        }
    }

    /// <summary>
    /// Drops the unfinished batch and reads the input to its end without batching it: the sources'
    /// last flushes wait for room in the channel, so it is emptied until they close it.
    /// </summary>
    private async Task DiscardAsync(MiniBatch? batch, CancellationToken abort)
    {
        if (batch is not null)
        {
            Abandoned += batch.Count;
            batch.Return();
        }

        do
        {
            while (_input.TryRead(out PointBlock? block))
            {
                _ingest.Consumed(block);
                Abandoned += block.Count;
                block.Return();
            }
        }
        while (await _input.WaitToReadAsync(abort).ConfigureAwait(false));
    }

    private ValueTask DeliverAsync(MiniBatch batch, CancellationToken abort)
    {
        if (_consumer is null)
        {
            return _output!.WriteAsync(batch, abort);
        }

        abort.ThrowIfCancellationRequested();
        _consumer.Take(batch);
        return ValueTask.CompletedTask;
    }

    /// <summary>The size of the next batch: B, or less where the consumer asks for fewer points (a seeding buffer's last room).</summary>
    private int NextBatchSize() => _consumer is null ? _batchSize : Math.Clamp(_consumer.NextBatchLimit, 1, _batchSize);

    /// <summary>Waits for input with no batch started.</summary>
    /// <returns>true when input is ready, false when it has ended, null when the drain was abandoned.</returns>
    private async ValueTask<bool?> WaitForInputAsync(CancellationToken abort, CancellationToken abandon)
    {
        if (!abandon.CanBeCanceled)
        {
            return await _input.WaitToReadAsync(abort).ConfigureAwait(false);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, abandon);
        try
        {
            return await _input.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Waits for input for at most <paramref name="timeout"/>, or until the drain is abandoned.</summary>
    /// <returns>true when input is ready, false when it has ended, null when the time ran out or the drain was abandoned.</returns>
    private async Task<bool?> WaitAsync(TimeSpan timeout, CancellationToken abort, CancellationToken abandon)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, abort, abandon);
        try
        {
            return await _input.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested)
        {
            return null;
        }
    }
}
