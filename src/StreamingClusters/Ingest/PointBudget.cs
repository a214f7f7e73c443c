namespace StreamingClusters.Ingest;

/// <summary>
/// The capacity of the ingest channel, counted in points. A source takes points from the budget
/// before its block enters the channel and the batcher gives them back as it takes the block out, so
/// no more than the capacity is ever in flight between them. Waiters are served first come, first
/// served; a request larger than the whole capacity is served when the channel is empty.
/// </summary>
internal sealed class PointBudget
{
    private readonly Lock _gate = new();
    private readonly Queue<(int Points, TaskCompletionSource Ready)> _waiters = new();
    private readonly int _capacity;

    /// <summary>Points that may still enter; may go negative only by an oversized request on an empty channel.</summary>
    private long _available;

    public PointBudget(int capacity)
    {
        _capacity = capacity;
        _available = capacity;
    }

    /// <summary>Gets the number of points taken and not yet given back.</summary>
    public long InUse
    {
        get
        {
            lock (_gate)
            {
                return _capacity - _available;
            }
        }
    }

    /// <summary>
    /// Takes <paramref name="points"/>, waiting for room in turn. Taking none never waits: the blocks of
    /// a reservation larger than the capacity (made on an empty channel) enter with the budget overdrawn.
    /// </summary>
    public ValueTask AcquireAsync(int points, CancellationToken cancellationToken)
    {
        TaskCompletionSource ready;
        lock (_gate)
        {
            if (points == 0 || (_waiters.Count == 0 && Fits(points)))
            {
                _available -= points;
                return ValueTask.CompletedTask;
            }

            ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((points, ready));
        }

        return new ValueTask(WaitAsync(points, ready, cancellationToken));
    }

    /// <summary>Takes <paramref name="points"/> if they fit within <paramref name="wait"/>; otherwise takes nothing.</summary>
    public async Task<bool> TryAcquireAsync(int points, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await AcquireAsync(points, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Gives back points whose block has left the channel, and serves the waiters that now fit.</summary>
    public void Release(int points)
    {
        if (points == 0)
        {
            return;
        }

        lock (_gate)
        {
            _available += points;
            ServeWaiters();
        }
    }

    /// <summary>Wakes waiters in order while the one at the head fits; drops cancelled ones. Called under the lock.</summary>
    private void ServeWaiters()
    {
        while (_waiters.TryPeek(out var head) && (head.Ready.Task.IsCompleted || Fits(head.Points)))
        {
            _waiters.Dequeue();
            if (head.Ready.TrySetResult())
            {
                _available -= head.Points;
            }
        }
    }

    private bool Fits(int points) => points <= _available || (points > _capacity && _available == _capacity);

    private async Task WaitAsync(int points, TaskCompletionSource ready, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            // A cancelled waiter never holds points; those behind it may fit now.
            lock (_gate)
            {
                ready.TrySetCanceled(cancellationToken);
                ServeWaiters();
            }
        }).ConfigureAwait(false))
        {
            await ready.Task.ConfigureAwait(false);
        }
    }
}
