namespace StreamingClusters.Batching;

/// <summary>
/// What the batcher hands its batches to, on the batcher's own thread: the consumer owns each batch it
/// takes, may say how large the next one should be at most, and is told when the input pauses.
/// </summary>
internal interface IBatchConsumer
{
    /// <summary>Gets the most points the consumer wants in the next batch, or <see cref="int.MaxValue"/> for no limit.</summary>
    int NextBatchLimit => int.MaxValue;

    /// <summary>
    /// Gets how long the input must be quiet, with no batch started, before <see cref="InputQuiet"/> is
    /// called; null when the consumer has nothing to do in a pause.
    /// </summary>
    TimeSpan? QuietAfter => null;

    /// <summary>Takes one batch; the consumer owns it from here and returns its buffer.</summary>
    /// <param name="batch">The batch.</param>
    void Take(MiniBatch batch);

    /// <summary>Called each time the batcher is about to wait for input: deferred work goes out then rather than with the next batch.</summary>
    void Idle()
    {
    }

    /// <summary>Called once no input has come for <see cref="QuietAfter"/> and no batch is started.</summary>
    void InputQuiet()
    {
    }
}
