namespace StreamingClusters.MalformedInput;

/// <summary>
/// What a generated document holds, counted by the generator: the records the product must count
/// (every line that is not blank and not the CSV header), and their verdicts by line number.
/// </summary>
internal sealed class DocumentTally
{
    /// <summary>Gets the verdict of each record by its line number (from 1), when lines are tracked.</summary>
    public Dictionary<long, Verdict>? Lines { get; init; }

    /// <summary>Gets the mutation kind of each record by its line number, when lines are tracked.</summary>
    public Dictionary<long, string>? Kinds { get; init; }

    /// <summary>Gets or sets the number of records.</summary>
    public long Records { get; set; }

    /// <summary>Gets or sets the records that must be applied.</summary>
    public long MustAccept { get; set; }

    /// <summary>Gets or sets the records that must be rejected.</summary>
    public long MustReject { get; set; }

    /// <summary>Gets or sets the records whose outcome is not predicted.</summary>
    public long Unknown { get; set; }

    /// <summary>Gets or sets the bytes written.</summary>
    public long Bytes { get; set; }

    /// <summary>Adds another tally's counts (not its lines).</summary>
    /// <param name="other">The other tally.</param>
    public void Add(DocumentTally other)
    {
        Records += other.Records;
        MustAccept += other.MustAccept;
        MustReject += other.MustReject;
        Unknown += other.Unknown;
        Bytes += other.Bytes;
    }
}

/// <summary>
/// Lays generated records out as a stream: an optional byte-order mark and CSV header, LF or CR LF
/// line ends at random, blank lines (empty, spaces, tabs, a lone CR LF) between records, and a last
/// line with or without its line break.
/// </summary>
internal static class MalformedDocument
{
    /// <summary>Writes a document.</summary>
    /// <param name="generator">The records' generator (its random generator also lays them out).</param>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="records">How many records to write.</param>
    /// <param name="trackLines">Whether to keep each record's verdict by line number.</param>
    /// <param name="terminateLast">Whether the last line must end with a line break (a followed file applies only terminated lines).</param>
    /// <returns>The tally.</returns>
    public static DocumentTally Write(MalformedRecordGenerator generator, Stream output, long records, bool trackLines, bool terminateLast = false)
    {
        Random random = generator.Random;
        var tally = new DocumentTally { Lines = trackLines ? [] : null, Kinds = trackLines ? [] : null };
        long line = 0;
        if (random.Next(4) == 0)
        {
            Put(output, [0xEF, 0xBB, 0xBF], tally);
        }

        // The first line decides whether there is a header: a clean header or a clean record, so that
        // a damaged record is never taken for one.
        bool header = generator.Format == InputFormat.Csv && random.Next(2) == 0;
        if (header)
        {
            Put(output, generator.Header, tally);
            Put(output, "\n"u8, tally);
            line++;
        }

        for (long r = 0; r < records; r++)
        {
            while (random.Next(10) == 0)
            {
                ReadOnlySpan<byte> blank = random.Next(4) switch
                {
                    0 => "\n"u8,
                    1 => "\r\n"u8,
                    2 => "  \t \n"u8,
                    _ => "\t\r\n"u8,
                };
                Put(output, blank, tally);
                line++;
            }

            GeneratedRecord record = r == 0 && !header ? generator.Good() : generator.Next();
            line++;
            Put(output, record.Bytes, tally);
            bool last = r == records - 1;
            if (record.Bytes.AsSpan().EndsWith("\r"u8))
            {
                // A record that ends with a CR keeps it only before a CR LF (before a lone LF, or at the
                // end of the stream, the CR would end the line).
                Put(output, "\r\n"u8, tally);
            }
            else if (!last || terminateLast || random.Next(2) == 0)
            {
                Put(output, random.Next(3) == 0 ? "\r\n"u8 : "\n"u8, tally);
            }

            tally.Records++;
            switch (record.Verdict)
            {
                case Verdict.Accept:
                    tally.MustAccept++;
                    break;
                case Verdict.Reject:
                    tally.MustReject++;
                    break;
                default:
                    tally.Unknown++;
                    break;
            }

            tally.Lines?.Add(line, record.Verdict);
            tally.Kinds?.Add(line, record.Kind);
        }

        return tally;
    }

    /// <summary>Writes a document into memory.</summary>
    /// <param name="generator">The records' generator.</param>
    /// <param name="records">How many records.</param>
    /// <param name="tally">The tally, with verdicts by line.</param>
    /// <param name="terminateLast">Whether the last line must end with a line break.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Create(MalformedRecordGenerator generator, long records, out DocumentTally tally, bool terminateLast = false)
    {
        using var buffer = new MemoryStream();
        tally = Write(generator, buffer, records, trackLines: true, terminateLast);
        return buffer.ToArray();
    }

    private static void Put(Stream output, ReadOnlySpan<byte> bytes, DocumentTally tally)
    {
        output.Write(bytes);
        tally.Bytes += bytes.Length;
    }
}
