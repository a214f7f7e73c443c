using Orleans.Runtime;
using StreamingClusters.Cluster.Grains;

namespace StreamingClusters.Cluster.Tests.Grains;

/// <summary>
/// A grain-call filter of the failover test's silos: once armed, it holds the reply to the next
/// <see cref="IModelGrain.ApplyStatistics"/> after the grain has written the state that covers the batch,
/// so that the test kills the grain's silo while the batch is applied but unanswered.
/// </summary>
public sealed class HeldReply : IIncomingGrainCallFilter
{
    private static TaskCompletionSource? s_written;
    private static TaskCompletionSource? s_release;

    /// <summary>Holds the reply to the next statistics batch.</summary>
    /// <returns>A task that completes once that batch's state is written and its reply held.</returns>
    public static Task Arm()
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref s_release, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref s_written, written);
        return written.Task;
    }

    /// <summary>Ends the held call as a killed silo's call ends for its caller: the silo is unavailable, no reply.</summary>
    public static void Drop() => Volatile.Read(ref s_release)?.TrySetException(new SiloUnavailableException("The silo holding the model was killed before it answered."));

    /// <inheritdoc/>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.Invoke();
        if (context.MethodName == nameof(IModelGrain.ApplyStatistics) && Interlocked.Exchange(ref s_written, null) is { } written)
        {
            TaskCompletionSource release = Volatile.Read(ref s_release)!;
            written.TrySetResult();
            await release.Task;
        }
    }
}
