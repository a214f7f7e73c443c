using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace StreamingClusters.Worker.Http;

/// <summary>GET /healthz: 200 once the model is seeded (live and ready), 503 before.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/healthz", (ClusteringPipeline pipeline) =>
    {
        long version = pipeline.Latest?.Version ?? -1;
        return version >= 0
            ? Results.Json(new HealthResponse("ready", version), HttpJsonContext.Default.HealthResponse)
            : Results.Json(new HealthResponse("starting", version), HttpJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    });
}
