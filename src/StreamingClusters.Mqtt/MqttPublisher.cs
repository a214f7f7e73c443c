using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;

namespace StreamingClusters.Mqtt;

/// <summary>
/// Publishes the model to a broker: the latest snapshot at most once per <see cref="MqttPublishOptions.SnapshotInterval"/>
/// as a retained QoS 1 message (the final one always), each cluster event (QoS 1), and optionally each
/// batch's assignments (QoS 1). While the broker is away it reconnects with a doubling delay; events and
/// assignments wait in a bounded queue (the oldest dropped first), and the latest snapshot goes out once
/// connected again. It runs until the pipeline's streams complete, so the final snapshot is published
/// after the drain; the host's disposal waits for that.
/// </summary>
internal sealed class MqttPublisher : IHostedService, IAsyncDisposable
{
    private const int QueueCapacity = 4096;
    private readonly MqttPublishOptions _settings;
    private readonly ClusteringPipeline _pipeline;
    private readonly MqttConnectionStatus _status;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<(string Topic, byte[] Payload)> _queue = Channel.CreateBounded<(string, byte[])>(new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _closing = new();
    private readonly List<IDisposable> _subscriptions = [];
    private volatile CentroidSnapshot? _latest;
    private volatile bool _completed;
    private Task? _running;

    public MqttPublisher(MqttPublishOptions settings, ClusteringPipeline pipeline, MqttStatus status, ILogger logger, TimeProvider time)
    {
        _settings = settings;
        _pipeline = pipeline;
        _status = status.Add("publisher", settings.DisplayBroker);
        _logger = logger;
        _time = time;
    }

    /// <summary>Reads the publishing settings.</summary>
    /// <param name="section">The <c>StreamingClusters</c> section.</param>
    /// <returns>The settings.</returns>
    public static MqttPublishOptions Settings(IConfiguration section) =>
        DurationConfiguration.Normalise(section, MqttDurations.StreamingClustersKeys).GetSection(MqttPublishOptions.SectionName).Get<MqttPublishOptions>() ?? new MqttPublishOptions();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscriptions.Add(_pipeline.Snapshots.Subscribe(
            s =>
            {
                _latest = s;
                _wake.Release();
            },
            _ => Complete(),
            Complete));
        if (!string.IsNullOrEmpty(_settings.EventTopic))
        {
            _subscriptions.Add(_pipeline.Events.Subscribe(e => Enqueue(_settings.EventTopic, SnapshotJson.Serialize(e))));
        }

        if (!string.IsNullOrEmpty(_settings.AssignmentTopic))
        {
            long expected = 0;
            _subscriptions.Add(_pipeline.Assignments.Subscribe(a =>
            {
                if (expected != 0 && a.Sequence != expected)
                {
                    MqttLog.AssignmentsDropped(_logger, a.Sequence - expected, _settings.AssignmentTopic);
                }

                expected = a.Sequence + 1;
                Enqueue(_settings.AssignmentTopic, Serialize(a));
            }));
        }

        _running = Task.Run(() => RunAsync(_closing.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Returns at once: publishing goes on until the pipeline's final snapshot, which comes after the hosted services have stopped.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_running is not null)
        {
            // The pipeline has completed by the time the host disposes its services: the final snapshot is on its way.
            await Task.WhenAny(_running, Task.Delay(TimeSpan.FromSeconds(10), _time)).ConfigureAwait(false);
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        if (_running is not null)
        {
            await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        foreach (IDisposable subscription in _subscriptions)
        {
            subscription.Dispose();
        }

        _closing.Dispose();
        _wake.Dispose();
    }

    private void Complete()
    {
        _completed = true;
        _wake.Release();
    }

    private void Enqueue(string topic, byte[] payload)
    {
        _queue.Writer.TryWrite((topic, payload));
        _wake.Release();
    }

    private async Task RunAsync(CancellationToken closing)
    {
        IMqttClient? client = null;
        CentroidSnapshot? published = null;
        long lastPublished = 0;
        TimeSpan delay = _settings.ReconnectDelay;
        bool first = true;
        try
        {
            while (!closing.IsCancellationRequested)
            {
                if (client is not { IsConnected: true })
                {
                    client?.Dispose();
                    client = new MqttClientFactory().CreateMqttClient();
                    string clientId = string.IsNullOrWhiteSpace(_settings.ClientId) ? "streamingclusters-publisher" : _settings.ClientId;
                    try
                    {
                        MqttClientOptions options = MqttBrokerSettings.WithLargeBuffer(_settings.Options(clientId).WithCleanStart(true).Build());
                        await client.ConnectAsync(options, closing).ConfigureAwait(false);
                        _status.SetConnected(reconnect: !first);
                        first = false;
                        delay = _settings.ReconnectDelay;
                        MqttLog.PublisherConnected(_logger, "publisher", _settings.DisplayBroker, clientId);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !closing.IsCancellationRequested)
                    {
                        _status.SetDisconnected(ex.Message);
                        MqttLog.Disconnected(_logger, "publisher", _settings.DisplayBroker, ex.Message, delay.TotalSeconds);
                        await Task.Delay(delay, _time, closing).ConfigureAwait(false);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.MaxReconnectDelay.Ticks));
                        continue;
                    }
                }

                try
                {
                    while (_queue.Reader.TryPeek(out (string Topic, byte[] Payload) item))
                    {
                        await PublishAsync(client, item.Topic, item.Payload, retain: false, closing).ConfigureAwait(false);
                        _queue.Reader.TryRead(out _);
                    }

                    bool completed = _completed;
                    if (_latest is { } latest && !ReferenceEquals(latest, published))
                    {
                        TimeSpan wait = _settings.SnapshotInterval - _time.GetElapsedTime(lastPublished);
                        if (wait > TimeSpan.Zero && !completed && !latest.IsFinal)
                        {
                            await WaitAsync(wait, closing).ConfigureAwait(false);
                            continue;
                        }

                        await PublishAsync(client, _settings.SnapshotTopic, SnapshotJson.Serialize(latest), retain: true, closing).ConfigureAwait(false);
                        published = latest;
                        lastPublished = _time.GetTimestamp();
                        continue;
                    }

                    if (completed && _queue.Reader.Count == 0)
                    {
                        await client.DisconnectAsync(new MqttClientDisconnectOptions(), closing).ConfigureAwait(false);
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !closing.IsCancellationRequested)
                {
                    // The connection broke under a publish: reconnect and publish it again.
                    _status.SetDisconnected(ex.Message);
                    MqttLog.PublishFailed(_logger, "publisher", _settings.SnapshotTopic, ex.Message);
                    continue;
                }

                await _wake.WaitAsync(closing).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (closing.IsCancellationRequested)
        {
            // Closing.
        }
        finally
        {
            client?.Dispose();
        }
    }

    private async Task WaitAsync(TimeSpan wait, CancellationToken closing)
    {
        // Wakes for an event to publish meanwhile, or once the interval has passed.
        using var interval = CancellationTokenSource.CreateLinkedTokenSource(closing);
        interval.CancelAfter(wait);
        try
        {
            await _wake.WaitAsync(interval.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!closing.IsCancellationRequested)
        {
            // The interval has passed.
        }
    }

    private static async Task PublishAsync(IMqttClient client, string topic, byte[] payload, bool retain, CancellationToken cancellationToken)
    {
        MqttApplicationMessage message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithContentType("application/json")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        MqttClientPublishResult result = await client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            throw new InvalidOperationException($"the broker refused the message on '{topic}': {result.ReasonCode} {result.ReasonString}");
        }
    }

    /// <summary>
    /// One batch's assignments as JSON: <c>{"version", "dimensions", "points": [[…]], "clusters": […], "squaredDistances": […]}</c>
    /// for k-means, with <c>"logLikelihoods": […]</c> in place of <c>"squaredDistances"</c> for a Gaussian mixture.
    /// </summary>
    /// <param name="block">The block.</param>
    /// <returns>The UTF-8 JSON.</returns>
    internal static byte[] Serialize(AssignmentBlock block)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (block.Count * block.Dimensions * 12));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", block.Version);
            json.WriteNumber("dimensions", block.Dimensions);
            json.WriteStartArray("points");
            ReadOnlySpan<float> points = block.Points.Span;
            for (int i = 0; i < block.Count; i++)
            {
                json.WriteStartArray();
                foreach (float v in points.Slice(i * block.Dimensions, block.Dimensions))
                {
                    json.WriteNumberValue(v);
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("clusters");
            foreach (int c in block.Clusters.Span)
            {
                json.WriteNumberValue(c);
            }

            json.WriteEndArray();
            bool mixture = block.SquaredDistances.IsEmpty && !block.LogLikelihoods.IsEmpty;
            json.WriteStartArray(mixture ? "logLikelihoods" : "squaredDistances");
            foreach (float d in (mixture ? block.LogLikelihoods : block.SquaredDistances).Span)
            {
                json.WriteNumberValue(d);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
