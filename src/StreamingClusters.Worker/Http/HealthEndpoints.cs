using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StreamingClusters.Checkpoints;
using StreamingClusters.Models;
using StreamingClusters.Mqtt;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET /healthz: 503 "starting" before the model default is seeded (with the seeding buffer's progress once points come); then 200 "ready", or 200 "degraded" while
/// checkpoint writes fail — the model goes on learning and serving, so it stays in rotation, but the
/// answer names the file and the OS error so that the failure is seen (and the metric
/// streamingclusters.checkpoint.consecutive_failures is above zero). It is "degraded" too while an MQTT
/// client (a source or the publisher) is away from its broker; <c>mqtt</c> lists each client.
/// <c>models</c> lists every model of the catalog. In cluster mode nothing is read from a pipeline of
/// this process: the models are read by <see cref="ClusterHealth"/> (at most one round of small grain
/// calls a second, however many probes, shared with the models' series of /metrics), and the status speaks of this worker (see there).
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // One per worker: the probes share its rounds, and it remembers that default was ready here once.
        ClusterHealth cluster = app.ServiceProvider.GetService<ClusterHealth>()
            ?? new ClusterHealth(app.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System, ModelsHealth.Timeout);
        app.MapGet(
        "/healthz",
        async (IModelCatalog catalog, IServiceProvider services, MqttStatus mqttStatus, TimeProvider time, CancellationToken cancellationToken) =>
        {
            IReadOnlyList<MqttConnectionStatus> clients = mqttStatus.Clients;
            MqttHealth[]? mqtt = clients.Count == 0 ? null : [.. clients.Select(MqttHealth.Of)];
            if (catalog is not LocalModelCatalog)
            {
                // The catalog's models live elsewhere (cluster mode): default is one of them.
                ClusterHealthReading reading = await cluster.ReadAsync(catalog, cancellationToken);
                string status = reading.Status == "ready" && clients.Any(c => !c.Connected) ? "degraded" : reading.Status;
                return Results.Json(
                    new HealthResponse(status, reading.Version, Mqtt: mqtt, Models: reading.Models),
                    HttpJson.Context.HealthResponse,
                    statusCode: reading.Serving ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
            }

            IReadOnlyList<ModelHealth> models = await ModelsHealth.ReadAsync(catalog, ModelsHealth.Timeout, time, cancellationToken);

            // The model default is this process's own pipeline.
            ClusteringPipeline pipeline = services.GetRequiredService<ClusteringPipeline>();
            long version = pipeline.Latest?.Version ?? -1;
            CheckpointStatus? checkpoint = pipeline.CheckpointStatus;
            if (version < 0)
            {
                return Results.Json(new HealthResponse("starting", version, checkpoint, pipeline.Seeding, mqtt, models), HttpJson.Context.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            bool degraded = checkpoint is { IsFailing: true } || clients.Any(c => !c.Connected);
            return Results.Json(new HealthResponse(degraded ? "degraded" : "ready", version, checkpoint, Mqtt: mqtt, Models: models), HttpJson.Context.HealthResponse);
        });
    }
}
