using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Mqtt;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET /healthz: 503 "starting" before the model is seeded (with the seeding buffer's progress once points come); then 200 "ready", or 200 "degraded" while
/// checkpoint writes fail — the model goes on learning and serving, so it stays in rotation, but the
/// answer names the file and the OS error so that the failure is seen (and the metric
/// streamingclusters.checkpoint.consecutive_failures is above zero). It is "degraded" too while an MQTT
/// client (a source or the publisher) is away from its broker; <c>mqtt</c> lists each client.
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/healthz", (ClusteringPipeline pipeline, MqttStatus mqttStatus) =>
    {
        long version = pipeline.Latest?.Version ?? -1;
        CheckpointStatus? checkpoint = pipeline.CheckpointStatus;
        IReadOnlyList<MqttConnectionStatus> clients = mqttStatus.Clients;
        MqttHealth[]? mqtt = clients.Count == 0 ? null : [.. clients.Select(MqttHealth.Of)];
        if (version < 0)
        {
            return Results.Json(new HealthResponse("starting", version, checkpoint, pipeline.Seeding, mqtt), HttpJson.Context.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        bool degraded = checkpoint is { IsFailing: true } || clients.Any(c => !c.Connected);
        return Results.Json(new HealthResponse(degraded ? "degraded" : "ready", version, checkpoint, Mqtt: mqtt), HttpJson.Context.HealthResponse);
    });
}
