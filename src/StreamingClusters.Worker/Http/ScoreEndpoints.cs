using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// POST /score: the nearest cluster of each point of a CSV or JSON-lines body, against the latest model (for a
/// Gaussian mixture the most likely component, its responsibility and the point's log-likelihood).
/// </summary>
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
        float[] scores = new float[count];
        float[] responsibilities = new float[count];
        bool mixture = scorer.ScoreKind == Model.ScoreKind.LogLikelihood;
        long version = count == 0 ? scorer.Version : scorer.Score(body.Points, clusters, scores, responsibilities);
        var results = new ScoreResult[count];
        for (int i = 0; i < count; i++)
        {
            results[i] = mixture ? new ScoreResult(clusters[i], null, responsibilities[i], scores[i]) : new ScoreResult(clusters[i], scores[i]);
        }

        return Results.Json(new ScoreResponse(version, results), HttpJson.Context.ScoreResponse);
    }
}
