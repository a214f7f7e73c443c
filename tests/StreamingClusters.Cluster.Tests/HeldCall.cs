using Orleans.Runtime;
using StreamingClusters.Cluster.Grains;

namespace StreamingClusters.Cluster.Tests;

/// <summary>
/// An outgoing grain-call filter of the tests' silos: once armed for a model, it holds the next
/// <see cref="IModelGrain.ApplyStatistics"/> sent to that model's grain before it leaves the silo, so
/// that a test changes the model while the batch is on its way. Unarmed, it passes every call on.
/// </summary>
public sealed class HeldCall : IOutgoingGrainCallFilter
{
    private static Armed? s_armed;

    /// <summary>Holds the next statistics batch sent to the grain of <paramref name="model"/>.</summary>
    /// <param name="model">The model's name (its grain's key).</param>
    /// <returns>A task that completes once the batch is held, and the release that sends it on.</returns>
    public static (Task Held, Action Release) Arm(string model)
    {
        var armed = new Armed(model);
        Volatile.Write(ref s_armed, armed);
        return (armed.Held.Task, () => armed.Release.TrySetResult());
    }

    /// <inheritdoc/>
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.MethodName == nameof(IModelGrain.ApplyStatistics)
            && Volatile.Read(ref s_armed) is { } armed
            && context.TargetId.Key.ToString() == armed.Model
            && Interlocked.CompareExchange(ref s_armed, null, armed) == armed)
        {
            armed.Held.TrySetResult();
            await armed.Release.Task;
        }

        await context.Invoke();
    }

    private sealed class Armed(string model)
    {
        public string Model { get; } = model;

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
