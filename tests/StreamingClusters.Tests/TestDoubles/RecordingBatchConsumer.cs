using StreamingClusters.Batching;

namespace StreamingClusters.Tests.TestDoubles;

/// <summary>A batch consumer made of callbacks, for the batcher's tests.</summary>
/// <param name="take">Takes each batch (and must return it).</param>
/// <param name="idle">Called before each wait for input, or null.</param>
internal sealed class RecordingBatchConsumer(Action<MiniBatch> take, Action? idle = null) : IBatchConsumer
{
    /// <summary>Gets or sets the limit the next batch is cut to.</summary>
    public int NextBatchLimit { get; set; } = int.MaxValue;

    /// <summary>Gets or sets the pause after which <see cref="OnQuiet"/> runs, or null for none.</summary>
    public TimeSpan? QuietAfter { get; set; }

    /// <summary>Gets or sets what a pause does.</summary>
    public Action? OnQuiet { get; set; }

    public void Take(MiniBatch batch) => take(batch);

    public void Idle() => idle?.Invoke();

    public void InputQuiet() => OnQuiet?.Invoke();
}
