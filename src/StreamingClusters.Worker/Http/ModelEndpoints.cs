using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingClusters.Model;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET /model (the latest snapshot) and GET /model/stream (every snapshot, as server-sent events whose
/// <c>id</c> is the snapshot's version), of the model <c>default</c>; GET /models/{name} and
/// GET /models/{name}/stream, the same of a named model. A client that reconnects with <c>Last-Event-ID</c>
/// is sent the latest snapshot only if it is newer than the one it had, then every snapshot as usual.
/// Between them go the clusters' id changes as named events (<c>event: cluster</c>, no <c>id</c>, so
/// that <c>Last-Event-ID</c> stays a snapshot's version): the recent history first, then each new one;
/// a client that reconnects is sent only those of versions after the one it had. Clients that listen
/// only for the default <c>message</c> events see the snapshots as before.
/// </summary>
internal static partial class ModelEndpoints
{
    /// <summary>Each snapshot's JSON, made once however many clients stream it; an entry lives as long as its snapshot.</summary>
    private static readonly ConditionalWeakTable<CentroidSnapshot, byte[]> Serialized = [];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/model", (HttpContext context, IModelCatalog catalog, IOptions<HttpOptions> http, CancellationToken cancellationToken) =>
            GetModelAsync(context, catalog, ModelName.Default, http, cancellationToken));
        app.MapGet("/models/{name}", GetModelAsync);
        app.MapGet(
            "/model/stream",
            (HttpContext context, IModelCatalog catalog, IOptions<HttpOptions> http, IHostApplicationLifetime lifetime, ILoggerFactory loggers, TimeProvider time, string? interval, CancellationToken cancellationToken) =>
                StreamAsync(context, catalog, ModelName.Default, http, lifetime, loggers, time, interval, cancellationToken));
        app.MapGet("/models/{name}/stream", StreamAsync);
    }

    private static async Task<IResult> GetModelAsync(HttpContext context, IModelCatalog catalog, string name, IOptions<HttpOptions> http, CancellationToken cancellationToken)
    {
        (IModelHandle? model, IResult? missing) = await ModelRoute.FindAsync(catalog, name, cancellationToken);
        if (model is null)
        {
            return missing!;
        }

        CentroidSnapshot? latest;
        try
        {
            latest = await model.LatestAsync(cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            // Deleted since this process last looked (cluster mode: its grain says it is not defined).
            return ModelRoute.NotFound(name);
        }

        return latest is { } snapshot
            ? Results.Bytes(Json(snapshot), "application/json")
            : IngestEndpoints.Unavailable(context, http.Value, "the model is not seeded yet");
    }

    private static async Task StreamAsync(
        HttpContext context,
        IModelCatalog catalog,
        string name,
        IOptions<HttpOptions> http,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers,
        TimeProvider time,
        string? interval,
        CancellationToken cancellationToken)
    {
        (IModelHandle? model, IResult? missing) = await ModelRoute.FindAsync(catalog, name, cancellationToken);
        if (model is null)
        {
            await missing!.ExecuteAsync(context);
            return;
        }

        IObservable<CentroidSnapshot> snapshots = model.Snapshots;
        IObservable<ClusterEvent> clusterEvents = model.Events;
        TimeSpan throttle = http.Value.SnapshotStreamInterval;
        if (interval is not null && !(Duration.TryParse(interval, out throttle) && throttle >= TimeSpan.Zero))
        {
            await IngestEndpoints.Error(StatusCodes.Status400BadRequest, $"interval must be a duration such as {Duration.Forms}, not '{interval}'").ExecuteAsync(context);
            return;
        }

        // The version of the last snapshot this client had, when it reconnects; anything else in the
        // header (not an id of ours) is read as no id at all.
        long? had = long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : null;
        byte[] preamble = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"retry: {(long)http.Value.RetryAfter.TotalMilliseconds}\n\n"));

        // This client's mailbox holds only the latest snapshot: a slow reader skips versions and never
        // holds up the publisher, which already delivers to each subscriber on its own.
        var latest = Channel.CreateBounded<CentroidSnapshot>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        // Id changes are rare and each one matters: they queue (up to a bound no model reaches between
        // two reads), and either stream wakes the one loop that writes.
        var events = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(ClusterModel.RecentEventCapacity * 4)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        long? eventsAfter = had;
        using IDisposable eventSubscription = clusterEvents.Subscribe(
            e =>
            {
                if (!(e.Version <= eventsAfter))
                {
                    events.Writer.TryWrite(e);
                    wake.Writer.TryWrite(true);
                }
            },
            _ => { },
            () => { });
        using IDisposable subscription = snapshots.Subscribe(
            s =>
            {
                latest.Writer.TryWrite(s);
                wake.Writer.TryWrite(true);
            },
            e => wake.Writer.TryComplete(),
            () => wake.Writer.TryComplete());

        // The stream ends when the host stops: the server waits for open requests before the pipeline
        // drains, so a stream left open until the pipeline completes would hold the whole stop up.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        TimeSpan writeTimeout = http.Value.SnapshotStreamWriteTimeout;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        // Set while an event is being written: cut short there, the response is torn and must be aborted.
        bool midEvent = false;
        try
        {
            // How long a client waits before reconnecting, as after a 503: Retry-After.
            await context.Response.Body.WriteAsync(preamble, ended.Token);
            await context.Response.Body.FlushAsync(ended.Token);
            while (await wake.Reader.WaitToReadAsync(ended.Token))
            {
                wake.Reader.TryRead(out _);
                while (events.Reader.TryRead(out ClusterEvent? clusterEvent))
                {
                    using var stalled = new CancellationTokenSource(writeTimeout, time);
                    using var writing = CancellationTokenSource.CreateLinkedTokenSource(ended.Token, stalled.Token);
                    midEvent = true;
                    try
                    {
                        await context.Response.Body.WriteAsync(ClusterEventHead, writing.Token);
                        await context.Response.Body.WriteAsync(SnapshotJson.Serialize(clusterEvent), writing.Token);
                        await context.Response.WriteAsync("\n\n", writing.Token);
                        await context.Response.Body.FlushAsync(writing.Token);
                    }
                    catch (OperationCanceledException) when (stalled.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested)
                    {
                        LogStalledClient(loggers.CreateLogger(typeof(ModelEndpoints).FullName!), writeTimeout);
                        context.Abort();
                        return;
                    }

                    midEvent = false;
                }

                while (latest.Reader.TryRead(out CentroidSnapshot? snapshot))
                {
                    // Only the first snapshot, the latest on connection, can be one the client already
                    // has; later ones are sent whatever their version (a model restarted without a
                    // checkpoint counts from 0 again).
                    bool known = snapshot.Version <= had;
                    had = null;
                    if (known)
                    {
                        continue;
                    }

                    // A client that stops reading fills its socket; once an event has waited this long
                    // the client is dropped, so that it holds neither a request nor a snapshot for ever.
                    using var stalled = new CancellationTokenSource(writeTimeout, time);
                    using var writing = CancellationTokenSource.CreateLinkedTokenSource(ended.Token, stalled.Token);
                    midEvent = true;
                    try
                    {
                        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"id: {snapshot.Version}\ndata: "), writing.Token);
                        await context.Response.Body.WriteAsync(Json(snapshot), writing.Token);
                        await context.Response.WriteAsync("\n\n", writing.Token);
                        await context.Response.Body.FlushAsync(writing.Token);
                    }
                    // Kestrel aborts the connection when a write is cancelled, so the request's own token
                    // may be cancelled by the time this runs: the stall timer decides, unless stopping.
                    catch (OperationCanceledException) when (stalled.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested)
                    {
                        LogStalledClient(loggers.CreateLogger(typeof(ModelEndpoints).FullName!), writeTimeout);
                        context.Abort();
                        return;
                    }

                    midEvent = false;
                }

                if (throttle > TimeSpan.Zero)
                {
                    await Task.Delay(throttle, time, ended.Token);
                }
            }
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            // The client went away or the host is stopping: between events the stream ends cleanly.
            if (midEvent)
            {
                context.Abort();
            }
        }
    }

    private static readonly byte[] ClusterEventHead = "event: cluster\ndata: "u8.ToArray();

    private static byte[] Json(CentroidSnapshot snapshot) => Serialized.GetValue(snapshot, static s => SnapshotJson.Serialize(s));

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "GET /model/stream: a client took no snapshot within {Timeout} (StreamingClusters:Http:SnapshotStreamWriteTimeout); its connection was closed")]
    private static partial void LogStalledClient(ILogger logger, TimeSpan timeout);
}
