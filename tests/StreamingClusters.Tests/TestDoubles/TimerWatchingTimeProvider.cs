using Microsoft.Extensions.Time.Testing;

namespace StreamingClusters.Tests.TestDoubles;

/// <summary>A fake clock that says when a timer is made on it: a test gates on that, not on a hook in the code under test.</summary>
internal sealed class TimerWatchingTimeProvider(FakeTimeProvider fake) : TimeProvider
{
    private readonly TaskCompletionSource _timerCreated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes once the first timer has been made.</summary>
    public Task TimerCreated => _timerCreated.Task;

    public override TimeZoneInfo LocalTimeZone => fake.LocalTimeZone;

    public override long TimestampFrequency => fake.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

    public override long GetTimestamp() => fake.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = fake.CreateTimer(callback, state, dueTime, period);
        _timerCreated.TrySetResult();
        return timer;
    }
}
