using System.Globalization;
using System.Text.Unicode;
using StreamingClusters.Ingest;

namespace StreamingClusters.Sources;

/// <summary>What one line of a line-oriented source is: see <see cref="LineRecordHandler.Classify"/>.</summary>
internal enum LineKind
{
    /// <summary>No record: a blank line, or the header.</summary>
    None,

    /// <summary>A record with values (the parser's <see cref="RecordParser.Values"/>); the ingest validates them.</summary>
    Values,

    /// <summary>A rejected record whose raw text is its UTF-8 bytes, shown as they are (too long, not UTF-8).</summary>
    RejectedBytes,

    /// <summary>A rejected record whose raw text is the line decoded (a parse problem).</summary>
    RejectedText,
}

/// <summary>
/// Turns the lines of a line-oriented source into records: skips blank lines, rejects lines that are
/// too long or not UTF-8, lets the parser take the first line as a header, and hands every other line
/// in, parsed or rejected. Each line that is not blank (nor the header) is one record, handed in once.
/// </summary>
internal sealed class LineRecordHandler
{
    private readonly RecordParser _parser;
    private readonly int _maxRecordLength;
    private readonly bool _replayable;

    /// <summary>The line decoded to UTF-16, as the raw text of a rejection.</summary>
    private char[] _chars = new char[256];

    /// <summary>Set once the first line that could be a header has been offered to the parser.</summary>
    private bool _headerDecided;

    /// <summary>The line the header was decided on (whether it was one or not), to set up other handlers alike.</summary>
    private byte[]? _headerLine;

    /// <summary>Set once the parser's column names, if it has any, have been offered to the ingest.</summary>
    private bool _namesOffered;

    /// <summary>Creates a handler.</summary>
    /// <param name="parser">The format's parser, new for this run.</param>
    /// <param name="maxRecordLength">The longest line, in bytes, that is parsed.</param>
    /// <param name="replayable">Whether lines' end offsets are resume positions (a file), or −1 is reported (standard input).</param>
    public LineRecordHandler(RecordParser parser, int maxRecordLength, bool replayable)
    {
        _parser = parser;
        _maxRecordLength = maxRecordLength;
        _replayable = replayable;
    }

    /// <summary>Gets a value indicating whether the first line that could be a header has been seen.</summary>
    public bool HeaderDecided => _headerDecided;

    /// <summary>Gets the values of the last line classified as <see cref="LineKind.Values"/>.</summary>
    public ReadOnlySpan<float> Values => _parser.Values;

    /// <summary>Hands one line in: as a point, as a rejection, or not at all (blank, header).</summary>
    /// <param name="line">The line.</param>
    /// <param name="ingest">Where records go; its current block must not be full.</param>
    public void Handle(in Utf8Line line, SourceIngest ingest)
    {
        long end = _replayable ? line.EndPosition : -1;
        switch (Classify(line, out string? reason))
        {
            case LineKind.Values:
                ingest.AcceptUtf8(_parser.Values, line.Text, line.Number, end);
                break;
            case LineKind.RejectedBytes:
                ingest.Reject(line.Number, reason!, line.Text, end);
                break;
            case LineKind.RejectedText:
                ingest.Reject(line.Number, reason!, Decode(line.Text), end);
                break;
        }

        if (!_namesOffered && _headerDecided)
        {
            _namesOffered = true;
            if (_parser.ColumnNames is { } names)
            {
                ingest.ProposeColumnNames(names);
            }
        }
    }

    /// <summary>
    /// Says what one line is, without handing it in: the values are then in <see cref="Values"/>, a
    /// rejection's reason in <paramref name="reason"/>. <see cref="Handle"/> hands in what this finds.
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="reason">Why the line is rejected, for the two rejected kinds.</param>
    /// <returns>What the line is.</returns>
    public LineKind Classify(in Utf8Line line, out string? reason)
    {
        reason = null;
        if (line.IsTooLong)
        {
            reason = TooLong(line.Length);
            return LineKind.RejectedBytes;
        }

        ReadOnlySpan<byte> text = line.Text;
        if (_headerDecided && _parser.TryParsePlain(text))
        {
            // A line of plain numbers: ASCII (so valid UTF-8) and not blank, read as Parse would.
            return LineKind.Values;
        }

        if (IsBlank(text))
        {
            return LineKind.None;
        }

        if (!Utf8.IsValid(text))
        {
            Utf8.ToUtf16(text, Chars(text.Length), out int invalidAt, out _, replaceInvalidSequences: false);
            reason = string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 at byte {invalidAt + 1}");
            return LineKind.RejectedBytes;
        }

        if (!_headerDecided)
        {
            _headerDecided = true;
            _headerLine = text.ToArray();
            if (_parser.TryReadHeader(text))
            {
                return LineKind.None;
            }
        }

        reason = _parser.Parse(text);
        return reason is null ? LineKind.Values : LineKind.RejectedText;
    }

    /// <summary>
    /// Creates a handler for the same source that reads lines after the header as this one does: its
    /// parser has been offered the same first line. Call it once <see cref="HeaderDecided"/> is set.
    /// </summary>
    /// <param name="parser">A new parser of the same format and settings.</param>
    /// <returns>The handler.</returns>
    public LineRecordHandler CloneAfterHeader(RecordParser parser)
    {
        Debug.Assert(_headerDecided);
        var clone = new LineRecordHandler(parser, _maxRecordLength, _replayable) { _headerDecided = true, _headerLine = _headerLine };
        if (_headerLine is not null)
        {
            parser.TryReadHeader(_headerLine);
        }

        return clone;
    }

    /// <summary>
    /// Sees a line before the resume position of a restart: nothing is handed in, but the parser takes
    /// the header from it as <see cref="Handle"/> would have.
    /// </summary>
    /// <param name="line">The line.</param>
    public void Replay(in Utf8Line line)
    {
        if (_headerDecided || line.IsTooLong || IsBlank(line.Text) || !Utf8.IsValid(line.Text))
        {
            return;
        }

        _headerDecided = true;
        _headerLine = line.Text.ToArray();
        _parser.TryReadHeader(line.Text);
    }

    /// <summary>Decodes a line of valid UTF-8, for the raw text of a rejection; valid until the next call.</summary>
    /// <param name="text">The line.</param>
    /// <returns>Its characters.</returns>
    public ReadOnlySpan<char> Decode(ReadOnlySpan<byte> text)
    {
        Span<char> chars = Chars(text.Length);
        Utf8.ToUtf16(text, chars, out _, out int written, replaceInvalidSequences: true);
        return chars[..written];
    }

    private string TooLong(long length) => string.Create(
        CultureInfo.InvariantCulture,
        $"the line is {length} bytes long, more than StreamingClusters:MaxRecordLength ({_maxRecordLength})");

    private static bool IsBlank(ReadOnlySpan<byte> text) => text.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0;

    private Span<char> Chars(int bytes)
    {
        if (_chars.Length < bytes)
        {
            // A line of n bytes decodes to at most n chars; lines are at most MaxRecordLength bytes.
            _chars = new char[Math.Max(bytes, Math.Min(2 * _chars.Length, _maxRecordLength))];
        }

        return _chars;
    }
}
