using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// POST /points (the model <c>default</c>) and POST /models/{name}/points: a CSV or JSON-lines body into
/// the model, all valid points or none, counted as the model's source <c>http</c>. The answer gives the
/// points accepted and the records rejected, with the first reasons: 200 when any record was accepted
/// (or the body held none), 422 when every record was rejected.
/// </summary>
internal static class IngestEndpoints
{
    /// <summary>How many rejections an answer lists.</summary>
    public const int ErrorsShown = 5;

    /// <summary>The source name of HTTP bodies, in snapshots, in <c>/metrics</c> and in dead letters; in-process writers keep the source <c>writer</c>.</summary>
    public const string SourceName = "http";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/points", (HttpContext context, IModelCatalog catalog, IOptions<HttpOptions> http, CancellationToken cancellationToken) =>
            PostAsync(context, catalog, ModelName.Default, http, cancellationToken)).AddEndpointFilter<ApiKeyFilter>().AddIngestLimit();
        app.MapPost("/models/{name}/points", PostAsync).AddEndpointFilter<ApiKeyFilter>().AddIngestLimit();
    }

    /// <summary>Answers POST /models/{name}/points.</summary>
    /// <param name="context">The request.</param>
    /// <param name="catalog">The models.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="http">The HTTP options.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer.</returns>
    internal static async Task<IResult> PostAsync(
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

        (RecordParser? parser, byte[]? bytes, IResult? refusal) = await ReadRequestAsync(context, options, cancellationToken);
        if (parser is null || bytes is null)
        {
            return refusal!;
        }

        RecordLimits limits;
        try
        {
            limits = await model.LimitsAsync(cancellationToken);
        }
        catch (KeyNotFoundException ex)
        {
            // Cluster mode: the model was found deleted when this silo asked its grain again.
            return Error(StatusCodes.Status404NotFound, ex.Message);
        }

        RecordBody body;
        try
        {
            body = RecordBody.Read(bytes, parser, limits.Dimensions, limits.MaxRecordLength, limits.MaxAbsoluteValue);
        }
        catch (InvalidDataException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message);
        }

        int accepted = 0;
        int rejected = body.Rejections.Count;
        RecordRejection[] unreadable = [.. body.Rejections.Select(Rejection)];
        if (body.Count > 0)
        {
            WriteResult? written;
            try
            {
                // The body's unreadable records go with its points: one write, counted only when the points are.
                written = await model.TryWriteAsync(SourceName, body.Points, body.Dimensions, parser.ColumnNames, unreadable, options.IngestWait, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                return Error(StatusCodes.Status400BadRequest, ex.Message);
            }
            catch (KeyNotFoundException ex)
            {
                // The model was deleted meanwhile (cluster mode: its grain said so); nothing was applied.
                return Error(StatusCodes.Status404NotFound, ex.Message);
            }
            catch (InvalidOperationException ex)
            {
                return Unavailable(context, options, ex.Message);
            }

            if (written is not { } result)
            {
                // Nothing was taken, so nothing is counted: the client sends the same body again.
                return Unavailable(context, options, "the pipeline is full; retry later");
            }

            accepted = result.Accepted;
            rejected += result.Rejected;
        }
        else if (unreadable.Length > 0)
        {
            try
            {
                await model.RejectAsync(SourceName, unreadable, cancellationToken);
            }
            catch (KeyNotFoundException ex)
            {
                // The model was deleted meanwhile (cluster mode: its grain said so); nothing was counted.
                return Error(StatusCodes.Status404NotFound, ex.Message);
            }
        }

        var answer = new IngestResponse(accepted, rejected, body.FirstErrors(ErrorsShown), body.HeaderLine);
        if (accepted == 0 && rejected > 0)
        {
            // Nothing learnt from the body: a client that checks only the status must see it failed.
            return Results.Json(
                answer with { Error = $"all {rejected} record(s) were rejected; the first reasons are in errors" },
                HttpJson.Context.IngestResponse,
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        return Results.Json(answer, HttpJson.Context.IngestResponse, statusCode: StatusCodes.Status200OK);
    }

    /// <summary>
    /// Reads a request of records (POST /points and /score): its format from the Content-Type, or 415,
    /// and its body within MaxBodyBytes, or 413 — the refusal set when either is missing.
    /// </summary>
    internal static async Task<(RecordParser? Parser, byte[]? Bytes, IResult? Refusal)> ReadRequestAsync(HttpContext context, HttpOptions options, CancellationToken cancellationToken)
    {
        RecordParser? parser;
        try
        {
            parser = RecordBody.ParserFor(context.Request.ContentType);
        }
        catch (FormatException ex)
        {
            return (null, null, Error(StatusCodes.Status415UnsupportedMediaType, ex.Message));
        }

        if (parser is null)
        {
            return (null, null, Error(StatusCodes.Status415UnsupportedMediaType, "send text/csv or application/x-ndjson (application/jsonl)"));
        }

        if (await RecordBody.ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken) is not { } bytes)
        {
            return (null, null, Error(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {HttpOptions.SectionName}:MaxBodyBytes ({options.MaxBodyBytes})"));
        }

        return (parser, bytes, null);
    }

    /// <summary>A body's rejected line as the model takes it: its raw text cut, before decoding, where a source cuts it.</summary>
    private static RecordRejection Rejection(BodyRejection r) =>
        new(r.Line, r.Reason, RecordBody.Text(r with { Raw = r.Raw[..Math.Min(r.Raw.Length, SourceIngest.MaxRawLength)] }));

    internal static IResult Error(int status, string message) =>
        Results.Json(new ErrorResponse(message), HttpJson.Context.ErrorResponse, statusCode: status);

    internal static IResult Unavailable(HttpContext context, HttpOptions options, string message)
    {
        context.Response.Headers.RetryAfter = Math.Ceiling(options.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Error(StatusCodes.Status503ServiceUnavailable, message);
    }
}
