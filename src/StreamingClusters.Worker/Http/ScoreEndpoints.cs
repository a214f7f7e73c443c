using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>POST /score: the nearest cluster of each point of a CSV or JSON-lines body, against the latest model.</summary>
internal static class ScoreEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/score", PostAsync).AddEndpointFilter<ApiKeyFilter>().AddIngestLimit();

    private static async Task<IResult> PostAsync(
        HttpContext context,
        ClusteringPipeline pipeline,
        IClusterScorer scorer,
        IOptions<HttpOptions> http,
        IOptions<StreamingClustersOptions> settings,
        CancellationToken cancellationToken)
    {
        HttpOptions options = http.Value;
        (RecordParser? parser, byte[]? bytes, IResult? refusal) = await IngestEndpoints.ReadRequestAsync(context, options, cancellationToken);
        if (parser is null || bytes is null)
        {
            return refusal!;
        }

        if (pipeline.Latest is not { } model)
        {
            return IngestEndpoints.Unavailable(context, options, "the model is not seeded yet");
        }

        RecordBody body;
        try
        {
            body = RecordBody.Read(bytes, parser, model.Dimensions, settings.Value.MaxRecordLength, settings.Value.MaxAbsoluteValue);
        }
        catch (InvalidDataException ex)
        {
            return IngestEndpoints.Error(StatusCodes.Status400BadRequest, ex.Message);
        }

        if (body.Rejections.Count > 0)
        {
            // Results line up with the body's records, so a body with a bad record is refused whole.
            return Results.Json(
                new ErrorResponse($"{body.Rejections.Count} record(s) cannot be scored", body.FirstErrors(IngestEndpoints.ErrorsShown)),
                HttpJson.Context.ErrorResponse,
                statusCode: StatusCodes.Status400BadRequest);
        }

        int count = body.Count;
        int[] clusters = new int[count];
        float[] distances = new float[count];
        long version = count == 0 ? scorer.Version : scorer.Score(body.Points, clusters, distances);
        var results = new ScoreResult[count];
        for (int i = 0; i < count; i++)
        {
            results[i] = new ScoreResult(clusters[i], distances[i]);
        }

        return Results.Json(new ScoreResponse(version, results), HttpJson.Context.ScoreResponse);
    }
}
