using System.Buffers;
using System.Globalization;
using System.Text.Unicode;
using StreamingClusters.Ingest;

namespace StreamingClusters.Sources;

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

    /// <summary>The line decoded to UTF-16: it validates the UTF-8 and is the raw text of a rejection.</summary>
    private char[] _chars = new char[256];

    /// <summary>Set once the first line that could be a header has been offered to the parser.</summary>
    private bool _headerDecided;

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

    /// <summary>Hands one line in: as a point, as a rejection, or not at all (blank, header).</summary>
    /// <param name="line">The line.</param>
    /// <param name="ingest">Where records go; its current block must not be full.</param>
    public void Handle(in Utf8Line line, SourceIngest ingest)
    {
        long end = _replayable ? line.EndPosition : -1;
        if (line.IsTooLong)
        {
            ingest.Reject(line.Number, TooLong(line.Length), line.Text, end);
            return;
        }

        ReadOnlySpan<byte> text = line.Text;
        if (IsBlank(text))
        {
            return;
        }

        if (!TryDecode(text, out ReadOnlySpan<char> raw, out int invalidAt))
        {
            ingest.Reject(line.Number, string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 at byte {invalidAt + 1}"), text, end);
            return;
        }

        if (!_headerDecided)
        {
            _headerDecided = true;
            if (_parser.TryReadHeader(text))
            {
                return;
            }
        }

        if (_parser.Parse(text) is { } problem)
        {
            ingest.Reject(line.Number, problem, raw, end);
        }
        else
        {
            ingest.Accept(_parser.Values, raw, line.Number, end);
        }
    }

    /// <summary>
    /// Sees a line before the resume position of a restart: nothing is handed in, but the parser takes
    /// the header from it as <see cref="Handle"/> would have.
    /// </summary>
    /// <param name="line">The line.</param>
    public void Replay(in Utf8Line line)
    {
        if (_headerDecided || line.IsTooLong || IsBlank(line.Text) || !TryDecode(line.Text, out _, out _))
        {
            return;
        }

        _headerDecided = true;
        _parser.TryReadHeader(line.Text);
    }

    private string TooLong(long length) => string.Create(
        CultureInfo.InvariantCulture,
        $"the line is {length} bytes long, more than StreamingClusters:MaxRecordLength ({_maxRecordLength})");

    private static bool IsBlank(ReadOnlySpan<byte> text) => text.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0;

    private bool TryDecode(ReadOnlySpan<byte> text, out ReadOnlySpan<char> chars, out int invalidAt)
    {
        if (_chars.Length < text.Length)
        {
            // A line of n bytes decodes to at most n chars; lines are at most MaxRecordLength bytes.
            _chars = new char[Math.Max(text.Length, Math.Min(2 * _chars.Length, _maxRecordLength))];
        }

        OperationStatus status = Utf8.ToUtf16(text, _chars, out invalidAt, out int written, replaceInvalidSequences: false);
        chars = _chars.AsSpan(0, written);
        return status == OperationStatus.Done;
    }
}
