using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Mqtt;

/// <summary>
/// Subscribes to topics on an MQTT broker and hands each message's records in.
/// </summary>
/// <remarks>
/// <para>
/// Delivery: at least once. The subscription is QoS 1 in a persistent session (a fixed client id, clean
/// start off, a session expiry), so the broker keeps what it has not had acknowledged while the service
/// is away. A message is acknowledged only once every record in it is applied or rejected and, with
/// checkpoints on, held by a checkpoint written to disk (<see cref="IAcknowledgingSource"/>); without
/// checkpoints, once applied (a crash then loses the model, but no reading the broker still holds).
/// After a crash the broker sends the unacknowledged messages again: those applied after the last
/// checkpoint are applied again to the restored model (once in its history), and those a checkpoint held
/// whose acknowledgement had not reached the broker are applied twice — duplicates. Every redelivered
/// message carries MQTT's DUP flag and is counted (<see cref="MqttConnectionStatus.Redelivered"/>,
/// <see cref="MqttConnectionStatus.RedeliveredRecords"/>): at most that many records are duplicates.
/// </para>
/// <para>
/// Positions: the source numbers its messages 1, 2, … across restarts (a checkpoint holds the number
/// reached); a block's position is the last message whose records are all in it or before it.
/// </para>
/// <para>
/// Connection: a new client per connection, so that an acknowledgement only ever goes to the connection
/// that received the message (packet identifiers are per connection); one that received a message and
/// has since ended drops its acknowledgements, and the broker sends those messages again. While the
/// broker is away the source retries with a doubling delay and says so in the log and the status.
/// </para>
/// <para>
/// Flow control: the source holds at most <see cref="MqttSourceOptions.MaxUnacknowledged"/> messages read
/// from the broker and not yet acknowledged. It asks the broker for that receive maximum, and does not
/// rely on it: while it holds that many it stops reading its socket (<see cref="FlowControlledChannel"/>),
/// so TCP's flow control holds the broker back and the rest of a backlog stays in the broker.
/// </para>
/// </remarks>
public sealed class MqttSource : IAcknowledgingSource, IAsyncDisposable
{
    private readonly MqttSourceOptions _settings;
    private readonly string _clientId;
    private readonly MqttMessageReader _reader;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Unbounded, yet bounded: a message is read from the socket only while the window has room, and it
    // stays in the window until acknowledged, after it has left this channel (ReceiveWindow).
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ReceiveWindow _window;
    private readonly AcknowledgementQueue _acknowledgements;
    private readonly SemaphoreSlim _commitSignal = new(0, 1);
    private readonly CancellationTokenSource _closing = new();
    private Task? _connecting;
    private Task? _acknowledging;

    /// <summary>The connection that receives now; null while disconnected.</summary>
    private volatile Connection? _current;

    /// <summary>The highest position committed so far; messages at or before it are acknowledged.</summary>
    private long _committed = -1;

    /// <summary>The number of the last message taken in; a restart continues from the checkpointed one.</summary>
    private long _resumePosition;

    /// <summary>Creates a source.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="settings">Its validated MQTT settings.</param>
    /// <param name="parser">The format's parser.</param>
    /// <param name="format">The format.</param>
    /// <param name="maxRecordLength">The longest record that is parsed.</param>
    /// <param name="maxAbsoluteValue">The largest coordinate accepted.</param>
    /// <param name="status">Where the connection's state is shown.</param>
    /// <param name="logger">The log.</param>
    /// <param name="time">The clock of the reconnection delays.</param>
    internal MqttSource(string name, MqttSourceOptions settings, RecordParser parser, RecordFormat format, int maxRecordLength, float maxAbsoluteValue, MqttConnectionStatus status, ILogger logger, TimeProvider time)
    {
        Name = name;
        _settings = settings;
        _clientId = string.IsNullOrWhiteSpace(settings.ClientId) ? "streamingclusters-" + name : settings.ClientId;
        _reader = new MqttMessageReader(parser, format, maxRecordLength, maxAbsoluteValue);
        Status = status;
        _logger = logger;
        _time = time;
        _window = new ReceiveWindow(settings.MaxUnacknowledged);
        status.Watch(_window);
        _acknowledgements = new AcknowledgementQueue(() => _current, _window, status, time, AcknowledgementQueue.DefaultTimeout);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public bool IsFinite => false;

    /// <summary>Gets the connection's state and the counts of messages received, redelivered and acknowledged.</summary>
    public MqttConnectionStatus Status { get; }

    /// <inheritdoc/>
    /// <value>The number of the last message a checkpoint holds; 0 at the first start.</value>
    public long ResumePosition
    {
        get => _resumePosition;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _resumePosition = value;
        }
    }

    /// <inheritdoc/>
    public void Committed(long position)
    {
        if (position > Volatile.Read(ref _committed))
        {
            Volatile.Write(ref _committed, position);
            if (_commitSignal.CurrentCount == 0)
            {
                try
                {
                    _commitSignal.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Signalled already: the acknowledging loop will see the new position.
                }
            }
        }
    }

    /// <inheritdoc/>
    public async Task RunAsync(SourceIngest ingest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        long message = _resumePosition;
        _connecting ??= Task.Run(() => ConnectLoopAsync(_closing.Token), CancellationToken.None);
        _acknowledging ??= Task.Run(() => AcknowledgeLoopAsync(_closing.Token), CancellationToken.None);
        ChannelReader<Received> reader = _received.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out Received? received))
                {
                    message++;
                    _acknowledgements.Add(message, received.Connection, received.Arguments);

                    await HandInAsync(ingest, received, message, cancellationToken).ConfigureAwait(false);
                }

                // Nothing more for now: let what was read reach the model.
                await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await ingest.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            MqttLog.SourceStopped(_logger, Name, Status.Messages, Status.Redelivered, Status.RedeliveredRecords, Status.Acknowledged, _window.MostHeld, _window.Limit, _window.Pauses, _window.PingsAnswered);
        }
    }

    /// <summary>Sends the acknowledgements that are due, then leaves the broker, keeping the session.</summary>
    /// <returns>A task that completes once disconnected.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        foreach (Task? task in new[] { _connecting, _acknowledging })
        {
            if (task is not null)
            {
                await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        // The final checkpoint has been written by now (the pipeline has drained): acknowledge what it
        // holds, on the connection still open, after the loop's last round (the queue keeps the order).
        await AcknowledgeDueAsync().ConfigureAwait(false);

        if (_current is { } connection)
        {
            await connection.CloseAsync().ConfigureAwait(false);
            MqttLog.Left(_logger, Name, _settings.DisplayBroker, Status.Acknowledged, Status.Messages);
        }

        _closing.Dispose();
        _commitSignal.Dispose();
        _acknowledgements.Dispose();
    }

    private async ValueTask HandInAsync(SourceIngest ingest, Received received, long message, CancellationToken cancellationToken)
    {
        byte[] payload = received.Payload;
        IReadOnlyList<(int Start, int Length)> records = _reader.Split(payload, out string? problem);
        if (problem is not null)
        {
            MqttMessageReader.RejectWhole(ingest, payload, problem, received.Topic, message);
        }
        else
        {
            for (int r = 0; r < records.Count; r++)
            {
                if (ingest.MustFlush)
                {
                    // Waits while the pipeline is full: the window (MaxUnacknowledged) bounds what piles up meanwhile.
                    await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                _reader.HandIn(ingest, payload, r, records, received.Topic, message);
            }
        }

        if (received.Redelivered)
        {
            Status.RedeliveredRecordsHandedIn(problem is null ? records.Count : 1);
        }
    }

    private async Task ConnectLoopAsync(CancellationToken closing)
    {
        TimeSpan delay = _settings.ReconnectDelay;
        bool first = true;
        while (!closing.IsCancellationRequested)
        {
            var connection = new Connection(this);
            string? failure;
            try
            {
                // Connected once the broker accepts: the SUBACK may wait behind a full window of the session's queue.
                bool reconnect = !first;
                MqttClientConnectResult result = await connection.ConnectAsync(
                    () =>
                    {
                        _current = connection;
                        Status.SetConnected(reconnect);
                    },
                    closing).ConfigureAwait(false);
                MqttLog.Connected(_logger, Name, _settings.DisplayBroker, _clientId, result.IsSessionPresent, string.Join(", ", _settings.Topics));
                if (!first && !result.IsSessionPresent)
                {
                    MqttLog.SessionLost(_logger, Name, _settings.DisplayBroker, _clientId);
                }

                first = false;
                delay = _settings.ReconnectDelay;
                failure = await connection.Ended.WaitAsync(closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                // Closing: DisposeAsync leaves the broker on the connection that is current; one still
                // connecting is not, and is let go here.
                if (_current != connection)
                {
                    connection.Dispose();
                }

                return;
            }
#pragma warning disable CA1031 // Any failure to connect is retried after a delay, and logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex.Message;
            }

            _current = null;
            Status.SetDisconnected(failure ?? "the connection ended");
            connection.Dispose();
            MqttLog.Disconnected(_logger, Name, _settings.DisplayBroker, failure ?? "the connection ended", delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, _time, closing).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.MaxReconnectDelay.Ticks));
        }
    }

    private async Task AcknowledgeLoopAsync(CancellationToken closing)
    {
        try
        {
            while (true)
            {
                await _commitSignal.WaitAsync(closing).ConfigureAwait(false);
                await AcknowledgeDueAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // Closing, between two rounds (a round is never cut short): DisposeAsync sends the last ones.
        }
    }

    /// <summary>Acknowledges, in the order received, every message at or before the committed position, each on the connection that received it (see <see cref="AcknowledgementQueue"/>).</summary>
    private Task AcknowledgeDueAsync() => _acknowledgements.SendDueAsync(Volatile.Read(ref _committed));

    /// <summary>One connection to the broker: its own client, so that acknowledgements stay on it; its reads go through the window.</summary>
    private sealed class Connection : IAcknowledger, IDisposable
    {
        /// <summary>The longest the broker may take to accept a connection (TCP, TLS and CONNACK).</summary>
        private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

        private readonly MqttSource _source;
        private readonly IMqttClient _client;
        private readonly ConnectionReceipts _receipts;
        private readonly StrongBox<string?> _tlsRefusal = new();
        private readonly TaskCompletionSource<string?> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Connection(MqttSource source)
        {
            _source = source;
            _receipts = new ConnectionReceipts(source._window);
            _client = new MqttClientFactory().CreateMqttClient(new FlowControlledAdapterFactory(_receipts));
            _client.ApplicationMessageReceivedAsync += OnReceived;
            _client.DisconnectedAsync += e =>
            {
                _ended.TrySetResult(e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString());
                return Task.CompletedTask;
            };
        }

        /// <summary>Gets a task that completes, with the reason, when the connection ends.</summary>
        public Task<string?> Ended => _ended.Task;

        /// <inheritdoc/>
        public bool IsConnected => _client.IsConnected;

        /// <summary>Connects, then subscribes; <paramref name="accepted"/> is called once the broker has accepted the connection, before the subscription, so that acknowledgements can open the window while the SUBACK waits behind the messages the broker sends first.</summary>
        public async Task<MqttClientConnectResult> ConnectAsync(Action accepted, CancellationToken closing)
        {
            MqttSourceOptions settings = _source._settings;
            // While reads are paused for a full window, pings are answered by the channel (FlowControlledChannel).
            MqttClientOptions options = settings.Options(_source._clientId, _tlsRefusal)
                .WithCleanStart(false)
                .WithSessionExpiryInterval((uint)settings.SessionExpiry.TotalSeconds)
                .WithReceiveMaximum((ushort)settings.MaxUnacknowledged)
                .Build();
            MqttClientConnectResult result;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(closing))
            {
                timeout.CancelAfter(ConnectTimeout);
                try
                {
                    result = await _client.ConnectAsync(options, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception) when (_tlsRefusal.Value is { } refusal)
                {
                    throw new InvalidOperationException(refusal);
                }
                catch (OperationCanceledException) when (!closing.IsCancellationRequested)
                {
                    throw new TimeoutException($"the broker did not accept the connection within {ConnectTimeout.TotalSeconds:0} s");
                }
            }

            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode} {result.ReasonString}");
            }

            accepted();
            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (string topic in settings.Topics)
            {
                // A retained reading is sent only when the subscription is new, not again at each reconnection.
                subscribe.WithTopicFilter(f => f
                    .WithTopic(topic)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly));
            }

            // No timeout: with a session present the broker sends its queued messages first, and the SUBACK
            // is read once the window has let them in; closing ends the wait.
            MqttClientSubscribeResult subscribed = await _client.SubscribeAsync(subscribe.Build(), closing).ConfigureAwait(false);
            foreach (MqttClientSubscribeResultItem item in subscribed.Items)
            {
                if (item.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
                {
                    throw new InvalidOperationException($"the broker did not grant QoS 1 on '{item.TopicFilter.Topic}': {item.ResultCode}");
                }
            }

            return result;
        }

        /// <inheritdoc/>
        public Task AcknowledgeAsync(object message, CancellationToken cancellationToken) =>
            ((MqttApplicationMessageReceivedEventArgs)message).AcknowledgeAsync(cancellationToken);

        public async Task CloseAsync()
        {
            try
            {
                // A normal disconnect: the session, and what it holds unacknowledged, stays with the broker.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection }, timeout.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Leaving a broker that is already gone.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            Dispose();
        }

        public void Dispose()
        {
            _client.Dispose();
            // What the client read and did not hand over is given back to the window; the broker sends it again.
            _receipts.End();
        }

        private Task OnReceived(MqttApplicationMessageReceivedEventArgs e)
        {
            e.AutoAcknowledge = false;
            if (!_receipts.TryDeliver())
            {
                // The connection has ended: not acknowledged, so the broker sends it again on the next one.
                return Task.CompletedTask;
            }

            MqttApplicationMessage message = e.ApplicationMessage;
            _source.Status.MessageReceived(message.Dup);
            byte[] payload = message.Payload.IsEmpty ? [] : message.Payload.ToArray();
            _source._received.Writer.TryWrite(new Received(message.Topic, payload, message.Dup, e, this));
            return Task.CompletedTask;
        }
    }

    /// <summary>A message received and not yet read.</summary>
    private sealed record Received(string Topic, byte[] Payload, bool Redelivered, MqttApplicationMessageReceivedEventArgs Arguments, Connection Connection);
}
