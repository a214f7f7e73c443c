using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>POST /points: a CSV or JSON-lines body into the pipeline, all valid points or none.</summary>
internal static class IngestEndpoints
{
    /// <summary>How many rejections an answer lists.</summary>
    public const int ErrorsShown = 5;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/points", PostAsync).AddEndpointFilter<ApiKeyFilter>().AddIngestLimit();

    private static async Task<IResult> PostAsync(
        HttpContext context,
        IPointWriter writer,
        HttpRejections rejections,
        IOptions<HttpOptions> http,
        IOptions<StreamingClustersOptions> pipeline,
        CancellationToken cancellationToken)
    {
        HttpOptions options = http.Value;
        (RecordParser? parser, byte[]? bytes, IResult? refusal) = await ReadRequestAsync(context, options, cancellationToken);
        if (parser is null || bytes is null)
        {
            return refusal!;
        }

        RecordBody body;
        try
        {
            body = RecordBody.Read(bytes, parser, writer.Dimensions, pipeline.Value.MaxRecordLength, pipeline.Value.MaxAbsoluteValue);
        }
        catch (InvalidDataException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message);
        }

        int accepted = 0;
        if (body.Count > 0)
        {
            WriteResult? written;
            try
            {
                written = await writer.TryWriteAsync(body.Points, body.Dimensions, options.IngestWait, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                return Error(StatusCodes.Status400BadRequest, ex.Message);
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
        }

        rejections.Add(body.Rejections);
        return Results.Json(
            new IngestResponse(accepted, body.Rejections.Count, body.FirstErrors(ErrorsShown), body.HeaderLine),
            HttpJsonContext.Default.IngestResponse,
            statusCode: StatusCodes.Status200OK);
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

    internal static IResult Error(int status, string message) =>
        Results.Json(new ErrorResponse(message), HttpJsonContext.Default.ErrorResponse, statusCode: status);

    internal static IResult Unavailable(HttpContext context, HttpOptions options, string message)
    {
        context.Response.Headers.RetryAfter = Math.Ceiling(options.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Error(StatusCodes.Status503ServiceUnavailable, message);
    }
}
