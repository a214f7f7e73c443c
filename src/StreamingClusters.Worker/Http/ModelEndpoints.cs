using System.Globalization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Publishing;

namespace StreamingClusters.Worker.Http;

/// <summary>GET /model (the latest snapshot) and GET /model/stream (every snapshot, as server-sent events).</summary>
internal static class ModelEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/model", GetModel);
        app.MapGet("/model/stream", StreamAsync);
    }

    private static IResult GetModel(HttpContext context, ClusteringPipeline pipeline, IOptions<HttpOptions> http) =>
        pipeline.Latest is { } snapshot
            ? Results.Bytes(SnapshotJson.Serialize(snapshot), "application/json")
            : IngestEndpoints.Unavailable(context, http.Value, "the model is not seeded yet");

    private static async Task StreamAsync(
        HttpContext context,
        IObservable<CentroidSnapshot> snapshots,
        IOptions<HttpOptions> http,
        TimeProvider time,
        string? interval,
        CancellationToken cancellationToken)
    {
        TimeSpan throttle = http.Value.SnapshotStreamInterval;
        if (interval is not null && !TimeSpan.TryParse(interval, CultureInfo.InvariantCulture, out throttle) || throttle < TimeSpan.Zero)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("interval must be a non-negative time span such as 00:00:01", cancellationToken);
            return;
        }

        // This client's mailbox holds only the latest snapshot: a slow reader skips versions and never
        // holds up the publisher, which already delivers to each subscriber on its own.
        var latest = Channel.CreateBounded<CentroidSnapshot>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        using IDisposable subscription = snapshots.Subscribe(
            s => latest.Writer.TryWrite(s),
            e => latest.Writer.TryComplete(),
            () => latest.Writer.TryComplete());

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.FlushAsync(cancellationToken);
        try
        {
            while (await latest.Reader.WaitToReadAsync(cancellationToken))
            {
                while (latest.Reader.TryRead(out CentroidSnapshot? snapshot))
                {
                    await context.Response.WriteAsync("data: ", cancellationToken);
                    await context.Response.Body.WriteAsync(SnapshotJson.Serialize(snapshot), cancellationToken);
                    await context.Response.WriteAsync("\n\n", cancellationToken);
                    await context.Response.Body.FlushAsync(cancellationToken);
                }

                if (throttle > TimeSpan.Zero)
                {
                    await Task.Delay(throttle, time, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the host is stopping.
        }
    }
}
