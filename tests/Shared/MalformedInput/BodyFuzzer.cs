using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamingClusters.MalformedInput;

/// <summary>What POST /points answered to a run of generated bodies, and what broke the rules.</summary>
internal sealed class BodyRunResult
{
    /// <summary>Gets the generated records, summed over the bodies.</summary>
    public DocumentTally Tally { get; } = new();

    /// <summary>Gets or sets the bodies posted.</summary>
    public long Bodies { get; set; }

    /// <summary>Gets or sets the points the answers said were accepted.</summary>
    public long Accepted { get; set; }

    /// <summary>Gets or sets the records the answers said were rejected.</summary>
    public long Rejected { get; set; }

    /// <summary>Gets or sets the bodies sent again after a 503.</summary>
    public long Retries { get; set; }

    /// <summary>Gets the broken rules, in words (empty when all held).</summary>
    public List<string> Violations { get; } = [];
}

/// <summary>Posts generated bodies to POST /points and checks each answer against the generator's verdicts.</summary>
internal static partial class BodyFuzzer
{
    /// <summary>Posts bodies until <paramref name="records"/> records have been sent.</summary>
    /// <param name="client">A client of the worker.</param>
    /// <param name="generator">The records' generator.</param>
    /// <param name="contentType">The Content-Type of every body.</param>
    /// <param name="records">How many records to send in all.</param>
    /// <param name="maxBodyRecords">The most records in one body.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The totals and the broken rules.</returns>
    public static async Task<BodyRunResult> RunAsync(HttpClient client, MalformedRecordGenerator generator, string contentType, long records, int maxBodyRecords, CancellationToken cancellationToken)
    {
        var result = new BodyRunResult();
        while (result.Tally.Records < records)
        {
            int count = (int)Math.Min(records - result.Tally.Records, 1 + generator.Random.Next(maxBodyRecords));
            byte[] body = MalformedDocument.Create(generator, count, out DocumentTally tally);
            result.Tally.Add(tally);
            result.Bodies++;
            while (true)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                using HttpResponseMessage response = await client.PostAsync(new Uri("/points", UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
                string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    // The pipeline was full and took nothing: the same body again.
                    result.Retries++;
                    continue;
                }

                // 422 when no record was accepted and some were rejected, 200 otherwise, both with the counts.
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.UnprocessableContent))
                {
                    result.Violations.Add($"body {result.Bodies}: {(int)response.StatusCode} {text}");
                    break;
                }

                Check(result, tally, text, response.StatusCode);
                break;
            }
        }

        return result;
    }

    /// <summary>Groups a reason with those that differ only in numbers and quoted text.</summary>
    /// <param name="reason">A rejection's reason.</param>
    /// <returns>Its class.</returns>
    public static string ReasonClass(string reason)
    {
        string text = reason.StartsWith("not valid JSON", StringComparison.Ordinal) ? "not valid JSON: …" : Quoted().Replace(reason, "'…'");
        return Numbers().Replace(text, "N");
    }

    private static void Check(BodyRunResult result, DocumentTally tally, string answer, HttpStatusCode status)
    {
        using var json = JsonDocument.Parse(answer);
        int accepted = json.RootElement.GetProperty("accepted").GetInt32();
        int rejected = json.RootElement.GetProperty("rejected").GetInt32();
        HttpStatusCode expected = accepted == 0 && rejected > 0 ? HttpStatusCode.UnprocessableContent : HttpStatusCode.OK;
        if (status != expected)
        {
            result.Violations.Add($"body {result.Bodies}: {(int)status} for {accepted} accepted and {rejected} rejected, expected {(int)expected}: {answer}");
        }

        result.Accepted += accepted;
        result.Rejected += rejected;
        if (accepted + rejected != tally.Records)
        {
            result.Violations.Add($"body {result.Bodies}: {accepted} accepted + {rejected} rejected != {tally.Records} records");
        }

        if (accepted < tally.MustAccept || accepted > tally.MustAccept + tally.Unknown)
        {
            result.Violations.Add($"body {result.Bodies}: {accepted} accepted, expected {tally.MustAccept} to {tally.MustAccept + tally.Unknown}: {answer}");
        }

        foreach (JsonElement error in json.RootElement.GetProperty("errors").EnumerateArray())
        {
            long line = error.GetProperty("line").GetInt64();
            string reason = error.GetProperty("reason").GetString() ?? string.Empty;
            if (string.IsNullOrWhiteSpace(reason) || !tally.Lines!.TryGetValue(line, out Verdict verdict) || verdict == Verdict.Accept)
            {
                result.Violations.Add($"body {result.Bodies}: line {line} rejected ({reason}) but it is no bad record");
            }
        }
    }

    [GeneratedRegex("'.*'")]
    private static partial Regex Quoted();

    [GeneratedRegex("(?<!UTF-?)-?[0-9]+(\\.[0-9]+)?(E[+-][0-9]+)?")]
    private static partial Regex Numbers();
}
