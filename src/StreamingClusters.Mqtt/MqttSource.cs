using System.Buffers;
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
/// </remarks>
public sealed class MqttSource : IAcknowledgingSource, IAsyncDisposable
{
    private readonly MqttSourceOptions _settings;
    private readonly string _clientId;
    private readonly MqttMessageReader _reader;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Unbounded, yet bounded in practice: MQTTnet reads the socket into its own unbounded queue whatever the
    // handler does (awaiting there would not slow the broker), so what bounds both queues is the broker's
    // window, ReceiveMaximum = MaxUnacknowledged, as a message is acknowledged only once committed.
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<Pending> _pending = new();
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
                    lock (_pending)
                    {
                        _pending.Enqueue(new Pending(message, received.Arguments, received.Connection));
                    }

                    await HandInAsync(ingest, received, message, cancellationToken).ConfigureAwait(false);
                }

                // Nothing more for now: let what was read reach the model.
                await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await ingest.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            MqttLog.SourceStopped(_logger, Name, Status.Messages, Status.Redelivered, Status.RedeliveredRecords, Status.Acknowledged);
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
        // holds, on the connection still open, after the loop has stopped so that the order is kept.
        await AcknowledgeDueAsync().ConfigureAwait(false);

        if (_current is { } connection)
        {
            await connection.CloseAsync().ConfigureAwait(false);
            MqttLog.Left(_logger, Name, _settings.DisplayBroker, Status.Acknowledged, Status.Messages);
        }

        _closing.Dispose();
        _commitSignal.Dispose();
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
                    // Waits while the pipeline is full: the broker's window (MaxUnacknowledged) bounds what piles up meanwhile.
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
                MqttClientConnectResult result = await connection.ConnectAsync(closing).ConfigureAwait(false);
                _current = connection;
                Status.SetConnected(reconnect: !first);
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

    /// <summary>Acknowledges, in the order received, every message at or before the committed position, each on the connection that received it.</summary>
    /// <remarks>
    /// Called by one caller at a time (the acknowledging loop, then <see cref="DisposeAsync"/> once the loop
    /// has stopped). A message leaves the queue only once its acknowledgement is sent or counted as
    /// dropped, and closing does not interrupt a send (each is bounded by its own timeout), so no message
    /// is skipped and none is acknowledged after a later one.
    /// </remarks>
    private async Task AcknowledgeDueAsync()
    {
        long committed = Volatile.Read(ref _committed);
        while (true)
        {
            Pending due;
            lock (_pending)
            {
                if (!_pending.TryPeek(out due) || due.Message > committed)
                {
                    return;
                }
            }

            if (due.Connection != _current || !await due.Connection.TryAcknowledgeAsync(due.Arguments).ConfigureAwait(false))
            {
                // The connection that received it has ended: the broker sends the message again.
                Status.AcknowledgementDropped();
            }
            else
            {
                Status.AcknowledgementSent();
            }

            lock (_pending)
            {
                _pending.Dequeue();
            }
        }
    }

    /// <summary>One connection to the broker: its own client, so that acknowledgements stay on it.</summary>
    private sealed class Connection : IDisposable
    {
        /// <summary>The longest an acknowledgement's send may take before it counts as dropped.</summary>
        private static readonly TimeSpan AcknowledgementTimeout = TimeSpan.FromSeconds(5);

        private readonly MqttSource _source;
        private readonly IMqttClient _client;
        private readonly TaskCompletionSource<string?> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Whether an acknowledgement failed on this connection (read and written by one acknowledger at a time).</summary>
        private bool _failed;

        public Connection(MqttSource source)
        {
            _source = source;
            _client = new MqttClientFactory().CreateMqttClient();
            _client.ApplicationMessageReceivedAsync += OnReceived;
            _client.DisconnectedAsync += e =>
            {
                _ended.TrySetResult(e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString());
                return Task.CompletedTask;
            };
        }

        /// <summary>Gets a task that completes, with the reason, when the connection ends.</summary>
        public Task<string?> Ended => _ended.Task;

        public async Task<MqttClientConnectResult> ConnectAsync(CancellationToken cancellationToken)
        {
            MqttSourceOptions settings = _source._settings;
            MqttClientOptions options = MqttBrokerSettings.WithLargeBuffer(settings.Options(_source._clientId)
                .WithCleanStart(false)
                .WithSessionExpiryInterval((uint)settings.SessionExpiry.TotalSeconds)
                .WithReceiveMaximum((ushort)settings.MaxUnacknowledged)
                .Build());
            MqttClientConnectResult result = await _client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode} {result.ReasonString}");
            }

            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (string topic in settings.Topics)
            {
                // A retained reading is sent only when the subscription is new, not again at each reconnection.
                subscribe.WithTopicFilter(f => f
                    .WithTopic(topic)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly));
            }

            MqttClientSubscribeResult subscribed = await _client.SubscribeAsync(subscribe.Build(), cancellationToken).ConfigureAwait(false);
            foreach (MqttClientSubscribeResultItem item in subscribed.Items)
            {
                if (item.ResultCode is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
                {
                    throw new InvalidOperationException($"the broker did not grant QoS 1 on '{item.TopicFilter.Topic}': {item.ResultCode}");
                }
            }

            return result;
        }

        public async Task<bool> TryAcknowledgeAsync(MqttApplicationMessageReceivedEventArgs arguments)
        {
            if (_failed || !_client.IsConnected)
            {
                return false;
            }

            try
            {
                // Not cut short by closing (that would skip this message and let later ones go first);
                // a send that hangs gives up after a while and counts as dropped.
                using var timeout = new CancellationTokenSource(AcknowledgementTimeout);
                await arguments.AcknowledgeAsync(timeout.Token).ConfigureAwait(false);
                return true;
            }
#pragma warning disable CA1031 // A connection that broke under the send, or a send that timed out: the broker sends the message again.
            catch (Exception)
#pragma warning restore CA1031
            {
                // Those after it are dropped at once, not each after its own timeout: one wait per connection.
                _failed = true;
                return false;
            }
        }

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

        public void Dispose() => _client.Dispose();

        private Task OnReceived(MqttApplicationMessageReceivedEventArgs e)
        {
            e.AutoAcknowledge = false;
            MqttApplicationMessage message = e.ApplicationMessage;
            _source.Status.MessageReceived(message.Dup);
            byte[] payload = message.Payload.IsEmpty ? [] : message.Payload.ToArray();
            _source._received.Writer.TryWrite(new Received(message.Topic, payload, message.Dup, e, this));
            return Task.CompletedTask;
        }
    }

    /// <summary>A message received and not yet read.</summary>
    private sealed record Received(string Topic, byte[] Payload, bool Redelivered, MqttApplicationMessageReceivedEventArgs Arguments, Connection Connection);

    /// <summary>A message read and not yet acknowledged.</summary>
    private readonly record struct Pending(long Message, MqttApplicationMessageReceivedEventArgs Arguments, Connection Connection);
}
