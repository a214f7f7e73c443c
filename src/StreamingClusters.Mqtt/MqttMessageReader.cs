using System.Globalization;
using System.Text.Json;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Mqtt;

/// <summary>
/// Splits one MQTT message into records and hands each in. JSON: a message is one record (an object, or an
/// array of numbers) or a batch (an array of objects or of arrays of numbers), each element a record; a
/// message that is not valid JSON is one record, rejected. CSV: each line that is not blank is a record.
/// A message that holds no record (empty, blank lines only, an empty array) is one record, rejected, so
/// that every message is counted. Rejections name the topic and the message's number in the source.
/// </summary>
internal sealed class MqttMessageReader
{
    private readonly LineRecordHandler _handler;
    private readonly RecordFormat _format;
    private readonly int _maxRecordLength;
    private readonly float _maxAbsoluteValue;
    private readonly List<(int Start, int Length)> _records = [];

    /// <summary>Creates a reader.</summary>
    /// <param name="parser">The format's parser (CSV without a header, or JSON).</param>
    /// <param name="format">The format.</param>
    /// <param name="maxRecordLength">The longest record, in bytes, that is parsed.</param>
    /// <param name="maxAbsoluteValue">The largest coordinate accepted.</param>
    public MqttMessageReader(RecordParser parser, RecordFormat format, int maxRecordLength, float maxAbsoluteValue)
    {
        _maxAbsoluteValue = maxAbsoluteValue;
        _handler = new LineRecordHandler(parser, maxRecordLength, replayable: true);
        _format = format;
        _maxRecordLength = maxRecordLength;
    }

    /// <summary>Splits a message into its records' byte ranges.</summary>
    /// <param name="payload">The message.</param>
    /// <param name="problem">Why the message as a whole is one rejected record, or null.</param>
    /// <returns>The records' ranges (valid until the next call).</returns>
    public IReadOnlyList<(int Start, int Length)> Split(ReadOnlySpan<byte> payload, out string? problem)
    {
        _records.Clear();
        problem = null;
        if (_format == RecordFormat.Csv)
        {
            int start = 0;
            while (start <= payload.Length)
            {
                int end = payload[start..].IndexOf((byte)'\n');
                int length = end < 0 ? payload.Length - start : end;
                ReadOnlySpan<byte> line = payload.Slice(start, length);
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                if (line.IndexOfAnyExcept((byte)' ', (byte)'\t') >= 0)
                {
                    _records.Add((start, line.Length));
                }

                if (end < 0)
                {
                    break;
                }

                start += end + 1;
            }
        }
        else
        {
            SplitJson(payload, ref problem);
        }

        if (problem is null && _records.Count == 0)
        {
            problem = payload.IsEmpty ? "the message is empty" : "the message holds no record";
        }

        return _records;
    }

    /// <summary>Hands in the records of one message, the last with the message's position; the ingest's block must not be full.</summary>
    /// <param name="ingest">Where the records go.</param>
    /// <param name="payload">The message.</param>
    /// <param name="record">The record of the message to hand in (an index into <see cref="Split"/>'s ranges).</param>
    /// <param name="records">The ranges.</param>
    /// <param name="topic">The message's topic, named in rejections.</param>
    /// <param name="message">The message's number in the source (its resume position).</param>
    public void HandIn(SourceIngest ingest, ReadOnlySpan<byte> payload, int record, IReadOnlyList<(int Start, int Length)> records, string topic, long message)
    {
        (int start, int length) = records[record];
        long end = record == records.Count - 1 ? message : message - 1;
        var line = new Utf8Line(payload.Slice(start, Math.Min(length, _maxRecordLength + 1)), message, length, end, length > _maxRecordLength);
        switch (_handler.Classify(line, out string? reason))
        {
            case LineKind.Values when ingest.Dimensions != 0 && PointValidator.Check(_handler.Values, ingest.Dimensions, _maxAbsoluteValue) is { } problem:
                // Checked here as the ingest would, so that the rejection names the topic.
                ingest.Reject(message, Where(problem, topic, record, records.Count), _handler.Decode(line.Text), end);
                break;
            case LineKind.Values:
                ingest.AcceptUtf8(_handler.Values, line.Text, message, end);
                break;
            case LineKind.RejectedBytes:
                ingest.Reject(message, Where(reason!, topic, record, records.Count), line.Text, end);
                break;
            case LineKind.RejectedText:
                ingest.Reject(message, Where(reason!, topic, record, records.Count), _handler.Decode(line.Text), end);
                break;
            default:
                // Blank records were left out by Split, and a CSV parser without a header takes none.
                ingest.Reject(message, Where("the record is blank", topic, record, records.Count), line.Text, end);
                break;
        }
    }

    /// <summary>Rejects a message that is one bad record as a whole.</summary>
    public static void RejectWhole(SourceIngest ingest, ReadOnlySpan<byte> payload, string problem, string topic, long message) =>
        ingest.Reject(message, string.Create(CultureInfo.InvariantCulture, $"{problem} (topic '{topic}')"), payload, message);

    private static string Where(string reason, string topic, int record, int records) => records == 1
        ? string.Create(CultureInfo.InvariantCulture, $"{reason} (topic '{topic}')")
        : string.Create(CultureInfo.InvariantCulture, $"{reason} (topic '{topic}', record {record} of the message's {records}, from 0)");

    private void SplitJson(ReadOnlySpan<byte> payload, ref string? problem)
    {
        int first = payload.IndexOfAnyExcept(" \t\r\n"u8);
        if (first < 0)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                EnsureEnd(ref reader);
                _records.Add((first, payload.Length - first));
                return;
            }

            // An array: of numbers (one record), or of objects and arrays (a batch, one record each).
            var batch = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
            batch.Read();
            if (!batch.Read())
            {
                throw new JsonException("the JSON ends inside an array");
            }

            if (batch.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                reader.Skip();
                EnsureEnd(ref reader);
                _records.Add((first, payload.Length - first));
                return;
            }

            while (batch.TokenType != JsonTokenType.EndArray)
            {
                int start = (int)batch.TokenStartIndex;
                batch.Skip();
                _records.Add((start, (int)batch.BytesConsumed - start));
                if (!batch.Read())
                {
                    throw new JsonException("the JSON ends inside an array");
                }
            }

            EnsureEnd(ref batch);
        }
        catch (JsonException ex)
        {
            _records.Clear();
            problem = "the message is not valid JSON: " + ex.Message;
        }
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("more follows the first JSON value");
        }
    }
}
