using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using StreamingClusters.Ingest;
using StreamingClusters.Sources;

namespace StreamingClusters.Worker.Http;

/// <summary>A rejected line of a body, with its text for the dead-letter sink.</summary>
/// <param name="Line">Its line number, from 1.</param>
/// <param name="Reason">Why.</param>
/// <param name="Raw">Its bytes.</param>
internal readonly record struct BodyRejection(long Line, string Reason, ReadOnlyMemory<byte> Raw);

/// <summary>
/// A request body read as records with the sources' parsers (CSV with an optional header, or JSON
/// lines): the valid points, row-major, and the rejected lines with their reasons. The first valid
/// record fixes the dimension when the pipeline does not know it yet.
/// </summary>
internal sealed class RecordBody
{
    private readonly List<float> _points = [];

    private RecordBody()
    {
    }

    /// <summary>Gets the dimension of the points, or 0 when there are none.</summary>
    public int Dimensions { get; private set; }

    /// <summary>Gets the valid points, count × d values.</summary>
    public float[] Points => [.. _points];

    /// <summary>Gets the number of valid points.</summary>
    public int Count => Dimensions == 0 ? 0 : _points.Count / Dimensions;

    /// <summary>Gets the number of the line read as the CSV header, or null when there was none.</summary>
    public long? HeaderLine { get; private set; }

    /// <summary>Gets the rejected lines, in body order.</summary>
    public List<BodyRejection> Rejections { get; } = [];

    /// <summary>
    /// Gets the parser for a content type, or null when the type is not one of the formats. A CSV body's
    /// header is detected unless the media type says (RFC 4180's <c>text/csv; header=present</c> or
    /// <c>header=absent</c>).
    /// </summary>
    /// <param name="contentType">The request's Content-Type.</param>
    /// <returns>A new parser, or null.</returns>
    /// <exception cref="FormatException">The <c>header</c> parameter is neither present nor absent.</exception>
    public static RecordParser? ParserFor(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? type) || type.MediaType.Value is not { } mediaType)
        {
            return null;
        }

        return mediaType.ToLowerInvariant() switch
        {
            "text/csv" => new CsvRecordParser((byte)',', CsvHeader(type), [], "http"),
            "application/x-ndjson" or "application/jsonl" or "application/json-lines" => new JsonLinesRecordParser([]),
            _ => null,
        };
    }

    private static bool? CsvHeader(MediaTypeHeaderValue type)
    {
        NameValueHeaderValue? header = NameValueHeaderValue.Find(type.Parameters, "header");
        return header?.Value.Value?.Trim('"').ToLowerInvariant() switch
        {
            null => null,
            "present" => true,
            "absent" => false,
            string other => throw new FormatException($"the text/csv parameter header is '{other}'; it is present or absent (RFC 4180), or left out to detect a header"),
        };
    }

    /// <summary>Reads the records of a body.</summary>
    /// <param name="body">The whole body.</param>
    /// <param name="parser">The format's parser.</param>
    /// <param name="dimensions">The pipeline's dimension, or 0 while unknown.</param>
    /// <param name="maxRecordLength">The longest line parsed, in bytes.</param>
    /// <param name="maxAbsoluteValue">The largest magnitude of a value.</param>
    /// <returns>The points and rejections.</returns>
    /// <exception cref="InvalidDataException">The CSV header cannot be read.</exception>
    public static RecordBody Read(ReadOnlyMemory<byte> body, RecordParser parser, int dimensions, int maxRecordLength, double maxAbsoluteValue)
    {
        var result = new RecordBody { Dimensions = dimensions };
        ReadOnlySpan<byte> rest = body.Span;
        int offset = rest.StartsWith("\uFEFF"u8) ? 3 : 0;
        bool headerDecided = false;
        for (long number = 1; offset < body.Length; number++)
        {
            int length = body.Span[offset..].IndexOf((byte)'\n');
            int next = length < 0 ? body.Length : offset + length + 1;
            ReadOnlyMemory<byte> line = body[offset..(length < 0 ? body.Length : offset + length)];
            offset = next;
            if (line.Span.EndsWith("\r"u8))
            {
                line = line[..^1];
            }

            // In the order of the file sources, so that a body and a file with the same lines count the same.
            ReadOnlySpan<byte> text = line.Span;
            if (text.Length > maxRecordLength)
            {
                result.Rejections.Add(new(number, string.Create(CultureInfo.InvariantCulture, $"the line is {text.Length} bytes long, more than StreamingClusters:MaxRecordLength ({maxRecordLength})"), line));
                continue;
            }

            if (text.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0)
            {
                continue;
            }

            if (InvalidUtf8At(text) is int invalidAt)
            {
                result.Rejections.Add(new(number, string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 at byte {invalidAt + 1}"), line));
                continue;
            }

            if (!headerDecided)
            {
                headerDecided = true;
                if (parser.TryReadHeader(text))
                {
                    result.HeaderLine = number;
                    continue;
                }
            }

            string? problem = parser.Parse(text);
            if (problem is null)
            {
                ReadOnlySpan<float> values = parser.Values;
                int d = result.Dimensions == 0 ? values.Length : result.Dimensions;
                problem = PointValidator.Check(values, d, (float)maxAbsoluteValue);
                if (problem is null)
                {
                    result.Dimensions = d;
                    foreach (float v in values)
                    {
                        result._points.Add(v);
                    }

                    continue;
                }
            }

            result.Rejections.Add(new(number, problem, line));
        }

        return result;
    }

    private static int? InvalidUtf8At(ReadOnlySpan<byte> text)
    {
        Span<char> chars = stackalloc char[256];
        int offset = 0;
        while (true)
        {
            OperationStatus status = System.Text.Unicode.Utf8.ToUtf16(text[offset..], chars, out int read, out _, replaceInvalidSequences: false);
            offset += read;
            switch (status)
            {
                case OperationStatus.Done:
                    return null;
                case OperationStatus.DestinationTooSmall:
                    continue;
                default:
                    return offset;
            }
        }
    }

    /// <summary>Reads a request body of at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="request">The request.</param>
    /// <param name="maxBytes">The limit.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The body, or null when it is over the limit.</returns>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        // MaxBodyBytes is the one limit: Kestrel's own (30 MB by default) would cut a larger allowed body short.
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes + 1;
        }

        if (request.ContentLength is long length)
        {
            // Read in place: a growing buffer and its final copy would take about three times the body.
            byte[] exact = new byte[length];
            int read = 0;
            int got;
            while (read < exact.Length && (got = await request.Body.ReadAsync(exact.AsMemory(read), cancellationToken)) > 0)
            {
                read += got;
            }

            return read == exact.Length ? exact : exact[..read];
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + n > maxBytes)
                {
                    return null;
                }

                buffer.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.ToArray();
    }

    /// <summary>Describes the first rejections for an answer.</summary>
    /// <param name="limit">How many to describe.</param>
    /// <returns>Their lines and reasons.</returns>
    public List<RecordError> FirstErrors(int limit) => [.. Rejections.Take(limit).Select(r => new RecordError(r.Line, r.Reason))];

    /// <summary>Decodes a rejected line for the dead-letter sink.</summary>
    /// <param name="rejection">The rejection.</param>
    /// <returns>Its text, invalid sequences shown as U+FFFD.</returns>
    public static string Text(BodyRejection rejection) => Encoding.UTF8.GetString(rejection.Raw.Span);
}
