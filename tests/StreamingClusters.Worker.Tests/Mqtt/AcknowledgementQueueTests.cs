using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Mqtt;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// The MQTT source's acknowledgements, through its queue with connections that only record what is sent
/// and complete each send when the test says so: in the order received, none skipped, none sent twice,
/// even when the shutdown's last round starts while a round is under way; a failed send drops the rest
/// of its connection's at once; a send that hangs counts as dropped after its own timeout; each message
/// leaving the queue is given back to the window. No timing: the tests wait on the sends themselves.
/// </summary>
public sealed class AcknowledgementQueueTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task SendDue_ALastRoundStartedWhileOneIsUnderWay_EachMessageSentOnceInTheOrderReceived()
    {
        var connection = new RecordingConnection();
        (AcknowledgementQueue queue, ReceiveWindow window, MqttConnectionStatus status) = Queue(connection, new FakeTimeProvider());
        for (int m = 1; m <= 4; m++)
        {
            Receive(queue, window, m, connection);
        }

        // The acknowledging loop's round (messages 1 and 2 are committed) waits on the send of 1 …
        Task loopRound = queue.SendDueAsync(2);
        await connection.Started(1).WaitAsync(Hang);
        // … when the shutdown's last round starts (all four committed): it must not send 2, 3, 4 meanwhile.
        Task lastRound = queue.SendDueAsync(4);
        Assert.Equal([1], connection.Sent);
        Assert.Equal(4, queue.Count);

        for (int m = 1; m <= 4; m++)
        {
            await connection.Started(m).WaitAsync(Hang);
            Assert.Equal(Enumerable.Range(1, m).Select(p => (long)p), connection.Sent);
            connection.Complete(m);
        }

        await Task.WhenAll(loopRound, lastRound).WaitAsync(Hang);
        Assert.Equal([1, 2, 3, 4], connection.Sent);
        Assert.Equal(0, queue.Count);
        Assert.Equal(4, status.Acknowledged);
        Assert.Equal(0, status.AcknowledgementsDropped);
        Assert.Equal(0, window.Held);
    }

    [Fact]
    public async Task SendDue_UpToTheCommittedPosition_LaterOnesStayQueued()
    {
        var connection = new RecordingConnection(completeAtOnce: true);
        (AcknowledgementQueue queue, ReceiveWindow window, MqttConnectionStatus status) = Queue(connection, new FakeTimeProvider());
        for (int m = 1; m <= 3; m++)
        {
            Receive(queue, window, m, connection);
        }

        await queue.SendDueAsync(2).WaitAsync(Hang);

        Assert.Equal([1, 2], connection.Sent);
        Assert.Equal(1, queue.Count);
        Assert.Equal(1, window.Held);
        Assert.Equal(2, status.Acknowledged);
    }

    [Fact]
    public async Task SendDue_ASendFails_LaterOnesOfThatConnectionDroppedWithoutASendAndTheNextConnectionsSent()
    {
        var first = new RecordingConnection(completeAtOnce: true, failOn: 2);
        var second = new RecordingConnection(completeAtOnce: true);
        IAcknowledger current = first;
        var window = new ReceiveWindow(10);
        var status = new MqttConnectionStatus("test", "mqtt://test");
        using var queue = new AcknowledgementQueue(() => current, window, status, new FakeTimeProvider(), AcknowledgementQueue.DefaultTimeout);
        for (int m = 1; m <= 4; m++)
        {
            Receive(queue, window, m, first);
        }

        Receive(queue, window, 5, second);
        await queue.SendDueAsync(4).WaitAsync(Hang);
        current = second;
        await queue.SendDueAsync(5).WaitAsync(Hang);

        // 2's send failed: 3 and 4 are dropped at once, not each tried (and each waited out) in turn.
        Assert.Equal([1, 2], first.Sent);
        Assert.Equal([5], second.Sent);
        Assert.Equal(2, status.Acknowledged);
        Assert.Equal(3, status.AcknowledgementsDropped);
        Assert.Equal(0, window.Held);
    }

    [Fact]
    public async Task SendDue_MessagesOfAConnectionThatIsNotTheCurrentOne_DroppedAndGivenBackToTheWindow()
    {
        var ended = new RecordingConnection(completeAtOnce: true);
        var current = new RecordingConnection(completeAtOnce: true);
        var window = new ReceiveWindow(10);
        var status = new MqttConnectionStatus("test", "mqtt://test");
        using var queue = new AcknowledgementQueue(() => current, window, status, new FakeTimeProvider(), AcknowledgementQueue.DefaultTimeout);
        Receive(queue, window, 1, ended);
        Receive(queue, window, 2, ended);
        Receive(queue, window, 3, current);

        await queue.SendDueAsync(3).WaitAsync(Hang);

        Assert.Empty(ended.Sent);
        Assert.Equal([3], current.Sent);
        Assert.Equal(2, status.AcknowledgementsDropped);
        Assert.Equal(1, status.Acknowledged);
        Assert.Equal(0, window.Held);
    }

    [Fact]
    public async Task SendDue_ASendThatHangs_DroppedAfterItsOwnTimeoutAndTheRestOfItsConnectionAtOnce()
    {
        var time = new FakeTimeProvider();
        var connection = new RecordingConnection();
        (AcknowledgementQueue queue, ReceiveWindow window, MqttConnectionStatus status) = Queue(connection, time);
        Receive(queue, window, 1, connection);
        Receive(queue, window, 2, connection);

        Task round = queue.SendDueAsync(2);
        await connection.Started(1).WaitAsync(Hang);
        time.Advance(AcknowledgementQueue.DefaultTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(round.IsCompleted);
        Assert.Equal(2, queue.Count);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await round.WaitAsync(Hang);

        Assert.Equal([1], connection.Sent);
        Assert.Equal(2, status.AcknowledgementsDropped);
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, window.Held);
    }

    private static (AcknowledgementQueue Queue, ReceiveWindow Window, MqttConnectionStatus Status) Queue(IAcknowledger connection, TimeProvider time)
    {
        var window = new ReceiveWindow(10);
        var status = new MqttConnectionStatus("test", "mqtt://test");
        return (new AcknowledgementQueue(() => connection, window, status, time, AcknowledgementQueue.DefaultTimeout), window, status);
    }

    /// <summary>A message read from the socket (taken from the window) and queued.</summary>
    private static void Receive(AcknowledgementQueue queue, ReceiveWindow window, long position, IAcknowledger connection)
    {
        window.Take();
        queue.Add(position, connection, position);
    }

    /// <summary>A connection that records each acknowledgement it is asked to send, in order; each send completes when the test completes it (or at once).</summary>
    private sealed class RecordingConnection(bool completeAtOnce = false, long failOn = -1) : IAcknowledger
    {
        private readonly List<long> _sent = [];
        private readonly Dictionary<long, TaskCompletionSource> _started = [];
        private readonly Dictionary<long, TaskCompletionSource> _sends = [];

        public bool IsConnected => true;

        public long[] Sent
        {
            get
            {
                lock (_sent)
                {
                    return [.. _sent];
                }
            }
        }

        public Task AcknowledgeAsync(object message, CancellationToken cancellationToken)
        {
            long position = (long)message;
            TaskCompletionSource send;
            lock (_sent)
            {
                _sent.Add(position);
                send = Slot(_sends, position);
                Slot(_started, position).TrySetResult();
            }

            if (position == failOn)
            {
                return Task.FromException(new InvalidOperationException("the connection broke"));
            }

            return completeAtOnce ? Task.CompletedTask : send.Task.WaitAsync(cancellationToken);
        }

        /// <summary>Completes when the send of <paramref name="position"/> has started.</summary>
        public Task Started(long position)
        {
            lock (_sent)
            {
                return Slot(_started, position).Task;
            }
        }

        public void Complete(long position)
        {
            lock (_sent)
            {
                Slot(_sends, position).TrySetResult();
            }
        }

        private static TaskCompletionSource Slot(Dictionary<long, TaskCompletionSource> slots, long position)
        {
            if (!slots.TryGetValue(position, out TaskCompletionSource? slot))
            {
                slot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                slots[position] = slot;
            }

            return slot;
        }
    }
}
