using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Models;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// POST /score (the model <c>default</c>) and POST /models/{name}/score: the nearest cluster of each
/// point of a CSV or JSON-lines body, against the latest model (for a
/// Gaussian mixture the most likely component, its responsibility and the point's log-likelihood).
/// </summary>
internal static class ScoreEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/score", (HttpContext context, IModelCatalog catalog, IOptions<HttpOptions> http, CancellationToken cancellationToken) =>
            PostAsync(context, catalog, ModelName.Default, http, cancellationToken)).AddEndpointFilter<ApiKeyFilter>().AddIngestLimit();
        app.MapPost("/models/{name}/score", PostAsync).AddEndpointFilter<ApiKeyFilter>().AddIngestLimit();
    }

    private static async Task<IResult> PostAsync(
        HttpContext context,
        IModelCatalog catalog,
        string name,
        IOptions<HttpOptions> http,
        CancellationToken cancellationToken)
    {
        HttpOptions options = http.Value;
        (IModelHandle? model, IResult? missing) = await ModelRoute.FindAsync(catalog, name, cancellationToken);
        if (model is null)
        {
            return missing!;
        }

        (RecordParser? parser, byte[]? bytes, IResult? refusal) = await IngestEndpoints.ReadRequestAsync(context, options, cancellationToken);
        if (parser is null || bytes is null)
        {
            return refusal!;
        }

        // The model's dimension and limits as this process holds them; whether it is seeded is the
        // scoring's answer, so that a request asks the model's owner nothing more.
        RecordLimits limits;
        try
        {
            limits = await model.LimitsAsync(cancellationToken);
        }
        catch (KeyNotFoundException ex)
        {
            // Cluster mode: the model was found deleted when this silo asked its grain again.
            return IngestEndpoints.Error(StatusCodes.Status404NotFound, ex.Message);
        }

        if (limits.Dimensions == 0)
        {
            return IngestEndpoints.Unavailable(context, options, "the model is not seeded yet");
        }

        RecordBody body;
        try
        {
            body = RecordBody.Read(bytes, parser, limits.Dimensions, limits.MaxRecordLength, limits.MaxAbsoluteValue);
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

        ModelScores? scored;
        try
        {
            scored = await model.ScoreAsync(body.Points, limits.Dimensions, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            return IngestEndpoints.Error(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (KeyNotFoundException ex)
        {
            return IngestEndpoints.Error(StatusCodes.Status404NotFound, ex.Message);
        }

        if (scored is null)
        {
            return IngestEndpoints.Unavailable(context, options, "the model is not seeded yet");
        }

        int count = scored.Clusters.Length;
        bool mixture = scored.Kind == Model.ScoreKind.LogLikelihood;
        var results = new ScoreResult[count];
        for (int i = 0; i < count; i++)
        {
            results[i] = mixture
                ? new ScoreResult(scored.Clusters[i], null, scored.Responsibilities[i], scored.Scores[i])
                : new ScoreResult(scored.Clusters[i], scored.Scores[i]);
        }

        return Results.Json(new ScoreResponse(scored.Version, results), HttpJson.Context.ScoreResponse);
    }
}
