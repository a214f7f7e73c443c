using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using StreamingClusters.Checkpoints;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET /healthz: 503 "starting" before the model is seeded (with the seeding buffer's progress once points come); then 200 "ready", or 200 "degraded" while
/// checkpoint writes fail — the model goes on learning and serving, so it stays in rotation, but the
/// answer names the file and the OS error so that the failure is seen (and the metric
/// streamingclusters.checkpoint.consecutive_failures is above zero).
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/healthz", (ClusteringPipeline pipeline) =>
    {
        long version = pipeline.Latest?.Version ?? -1;
        CheckpointStatus? checkpoint = pipeline.CheckpointStatus;
        if (version < 0)
        {
            return Results.Json(new HealthResponse("starting", version, checkpoint, pipeline.Seeding), HttpJson.Context.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return Results.Json(new HealthResponse(checkpoint is { IsFailing: true } ? "degraded" : "ready", version, checkpoint), HttpJson.Context.HealthResponse);
    });
}
