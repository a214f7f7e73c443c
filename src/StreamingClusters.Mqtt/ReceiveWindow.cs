using System.Diagnostics;

namespace StreamingClusters.Mqtt;

/// <summary>
/// The messages a source holds: read from the broker's socket and not yet acknowledged (or dropped, for a
/// connection that has ended), over all its connections. While it holds <see cref="Limit"/> or more, its
/// connection stops reading the socket (<see cref="FlowControlledChannel"/>): the kernel's buffers fill,
/// TCP's flow control stops the broker, and what the broker has not sent stays with the broker.
/// </summary>
/// <remarks>
/// Taken by the reading connection (one at a time), released by the acknowledging loop; read from any
/// thread (<c>/healthz</c>, logs, tests).
/// </remarks>
internal sealed class ReceiveWindow
{
    private readonly Lock _lock = new();
    private long _held;
    private long _mostHeld;
    private long _pauses;
    private long _pingsAnswered;
    private TaskCompletionSource? _room;

    /// <summary>Creates a window.</summary>
    /// <param name="limit">The most messages held before reading pauses (<see cref="MqttSourceOptions.MaxUnacknowledged"/>).</param>
    public ReceiveWindow(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
    }

    /// <summary>Gets the most messages held before reading pauses.</summary>
    public int Limit { get; }

    /// <summary>Gets the messages held now.</summary>
    public long Held
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>Gets the most messages held at once so far.</summary>
    public long MostHeld
    {
        get
        {
            lock (_lock)
            {
                return _mostHeld;
            }
        }
    }

    /// <summary>Gets how many times reading paused for a full window.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>Gets the keep-alive pings answered by the source itself while its reads were paused (see <see cref="FlowControlledChannel"/>).</summary>
    public long PingsAnswered => Interlocked.Read(ref _pingsAnswered);

    /// <summary>Gets a value indicating whether a message may be read now.</summary>
    public bool HasRoom
    {
        get
        {
            lock (_lock)
            {
                return _held < Limit;
            }
        }
    }

    /// <summary>Returns a task that completes once the window has room (at once if it has).</summary>
    /// <returns>The task.</returns>
    public Task WhenRoom()
    {
        lock (_lock)
        {
            return _held < Limit ? Task.CompletedTask : (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>A message has been read from the socket.</summary>
    public void Take()
    {
        lock (_lock)
        {
            _held++;
            _mostHeld = Math.Max(_mostHeld, _held);
        }
    }

    /// <summary>Messages have been acknowledged or dropped: they no longer count.</summary>
    /// <param name="count">How many.</param>
    public void Release(long count)
    {
        if (count <= 0)
        {
            return;
        }

        TaskCompletionSource? room = null;
        lock (_lock)
        {
            // Each message is given back once: by the acknowledgement queue, or by its connection's end if it never reached the source.
            Debug.Assert(_held >= count, "Released more messages than were taken.");
            _held = Math.Max(_held - count, 0);

            if (_held < Limit)
            {
                (room, _room) = (_room, null);
            }
        }

        room?.TrySetResult();
    }

    /// <summary>Reading has paused for a full window.</summary>
    public void Paused() => Interlocked.Increment(ref _pauses);

    /// <summary>A keep-alive ping was answered by the source while its reads were paused.</summary>
    public void PingAnswered() => Interlocked.Increment(ref _pingsAnswered);
}
