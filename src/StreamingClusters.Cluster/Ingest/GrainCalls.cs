namespace StreamingClusters.Cluster.Ingest;

/// <summary>Calls a grain again while its silo is failing over.</summary>
internal static class GrainCalls
{
    /// <summary>
    /// Calls until the grain answers or <paramref name="deadline"/> passes. A silo that died fails the
    /// call at once (Orleans rejects the calls to a silo declared dead, or the connection is gone), and
    /// the grain then activates on a live silo from its persisted state; pauses grow from 50 ms to 1 s.
    /// </summary>
    /// <typeparam name="T">The answer.</typeparam>
    /// <param name="call">The call; a batch is sent again with the same sequence number each time.</param>
    /// <param name="time">The clock of the pauses and the deadline.</param>
    /// <param name="deadline">How long to go on.</param>
    /// <param name="cancellationToken">Stops the calls.</param>
    /// <returns>The grain's answer.</returns>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeProvider time, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        long started = time.GetTimestamp();
        TimeSpan pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await call().WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException && time.GetElapsedTime(started) < deadline)
            {
                await Task.Delay(pause, time, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
        }
    }
}
