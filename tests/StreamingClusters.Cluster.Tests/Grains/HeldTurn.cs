using System.Collections.Concurrent;
using Orleans.Runtime;
using StreamingClusters.Cluster.Grains;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>
/// A grain-call filter of the tests' silos: once armed for a model, it holds the next
/// <see cref="IModelGrain.AddPoints"/> to that model's grain after the grain has written its state, inside
/// the call's turn, so that a test sees what other calls do while the grain is busy with a batch.
/// </summary>
public sealed class HeldTurn : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<string, (TaskCompletionSource Held, TaskCompletionSource Release)> s_armed = new(StringComparer.Ordinal);

    /// <summary>Holds the next batch of raw points to the grain of <paramref name="model"/>.</summary>
    /// <param name="model">The model's name (its grain's key).</param>
    /// <returns>A task that completes once the batch is applied, written and held, and the release that answers it.</returns>
    public static (Task Held, Action Release) Arm(string model)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s_armed[model] = (held, release);
        return (held.Task, () => release.TrySetResult());
    }

    /// <inheritdoc/>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.Invoke();
        if (context.InterfaceMethod.Name == nameof(IModelGrain.AddPoints)
            && s_armed.TryRemove(context.TargetId.Key.ToString()!, out var armed))
        {
            armed.Held.TrySetResult();
            await armed.Release.Task;
        }
    }
}
