using System.Collections.Concurrent;
using System.Threading.Channels;
using StreamingClusters.Ingest;

namespace StreamingClusters.Sources;

/// <summary>
/// Reads the rest of a regular file in chunks cut at line ends, parses the chunks on several threads,
/// and hands their records to the ingest in file order, so that the points, the accounting (records,
/// rejections, line numbers, resume positions) and therefore the model are exactly those of reading
/// the file line by line with <see cref="LineRecordHandler"/>.
/// </summary>
/// <remarks>
/// It starts once the header has been decided: every chunk's parser is set up from the same first
/// line. A line longer than a chunk (with <see cref="ChunkSizeFor"/>, only a line over the record
/// limit) ends the parallel reading at its start; the caller reads the rest line by line.
/// </remarks>
internal sealed class ParallelLineParser
{
    /// <summary>The size of a chunk, unless the record limit needs more.</summary>
    public const int DefaultChunkSize = 1 << 20;

    private readonly LineRecordHandler _first;
    private readonly Func<RecordParser> _createParser;
    private readonly int _maxRecordLength;
    private readonly int _threads;
    private readonly int _chunkSize;
    private readonly ConcurrentBag<LineRecordHandler> _handlers = [];
    private readonly ConcurrentQueue<Chunk> _free = new();

    /// <summary>Creates a parser.</summary>
    /// <param name="first">The handler that read the start of the file, up to and including the header decision.</param>
    /// <param name="createParser">Creates a parser for each thread.</param>
    /// <param name="maxRecordLength">The longest line, in bytes, that is parsed.</param>
    /// <param name="threads">How many chunks are parsed at once (at least 2).</param>
    /// <param name="chunkSize">The size of a chunk; a longer line ends the parallel reading (see <see cref="ChunkSizeFor"/>).</param>
    public ParallelLineParser(LineRecordHandler first, Func<RecordParser> createParser, int maxRecordLength, int threads, int chunkSize = DefaultChunkSize)
    {
        Debug.Assert(first.HeaderDecided && threads > 1 && chunkSize > 0);
        _first = first;
        _createParser = createParser;
        _maxRecordLength = maxRecordLength;
        _threads = threads;
        _chunkSize = chunkSize;
    }

    /// <summary>Returns the chunk size for a record limit: the default, or more to hold a line of the limit.</summary>
    /// <param name="maxRecordLength">The longest line, in bytes, that is parsed.</param>
    /// <returns>The size.</returns>
    public static int ChunkSizeFor(int maxRecordLength) => (int)Math.Min(Array.MaxLength, Math.Max(DefaultChunkSize, (long)maxRecordLength + 2));

    /// <summary>Gets the size of a chunk.</summary>
    public int ChunkSize => _chunkSize;

    /// <summary>Reads <paramref name="stream"/> from <paramref name="start"/> to its end, handing its records in.</summary>
    /// <param name="stream">The file, seekable.</param>
    /// <param name="start">The offset of the start of a line.</param>
    /// <param name="firstLine">That line's number.</param>
    /// <param name="ingest">Where records go.</param>
    /// <param name="cancellationToken">Cancels the reading.</param>
    /// <returns>
    /// <see langword="null"/> when the file was read to its end; else the offset and number of a line
    /// longer than a chunk, from which the caller reads on line by line.
    /// </returns>
    public async Task<(long Position, long Line)?> RunAsync(Stream stream, long start, long firstLine, SourceIngest ingest, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Channel<Task<Chunk>> parsed = Channel.CreateBounded<Task<Chunk>>(new BoundedChannelOptions(_threads + 1) { SingleReader = true, SingleWriter = true });
        Task producer = Task.Run(() => ProduceAsync(stream, start, parsed.Writer, stop.Token), CancellationToken.None);
        LineRecordHandler decoder = _first;
        try
        {
            long line = firstLine;
            while (await parsed.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (parsed.Reader.TryRead(out Task<Chunk>? next))
                {
                    Chunk chunk = await next.ConfigureAwait(false);
                    if (chunk.LongLine)
                    {
                        return (chunk.Offset, line);
                    }

                    await ApplyAsync(chunk, line, ingest, decoder, cancellationToken).ConfigureAwait(false);
                    line += chunk.Lines;
                    _free.Enqueue(chunk);
                }
            }

            await producer.ConfigureAwait(false);
            return null;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await DrainAsync(producer, parsed.Reader).ConfigureAwait(false);
        }
    }

    /// <summary>After a stop: waits for the reading and the parses in flight, whose results are dropped.</summary>
    private static async Task DrainAsync(Task producer, ChannelReader<Task<Chunk>> parsed)
    {
        try
        {
            await producer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped on purpose.
        }

        while (parsed.TryRead(out Task<Chunk>? pending))
        {
            await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>Reads chunks cut after their last line end and starts parsing each, in order.</summary>
    private async Task ProduceAsync(Stream stream, long start, ChannelWriter<Task<Chunk>> parsed, CancellationToken cancellationToken)
    {
        try
        {
            stream.Seek(start, SeekOrigin.Begin);
            byte[] carry = new byte[_chunkSize];
            int carried = 0;
            long offset = start;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Chunk chunk = RentChunk();
                carry.AsSpan(0, carried).CopyTo(chunk.Buffer);
                int filled = carried;
                bool end = false;
                while (filled < chunk.Buffer.Length)
                {
                    int read = stream.Read(chunk.Buffer, filled, chunk.Buffer.Length - filled);
                    if (read == 0)
                    {
                        end = true;
                        break;
                    }

                    filled += read;
                }

                if (end && filled == 0)
                {
                    return;
                }

                int cut = end ? filled : chunk.Buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1;
                chunk.Offset = offset;
                if (cut == 0)
                {
                    // No line end in a whole chunk: a line over the record limit, which the caller reads.
                    chunk.LongLine = true;
                    await parsed.WriteAsync(Task.FromResult(chunk), cancellationToken).ConfigureAwait(false);
                    return;
                }

                carried = filled - cut;
                chunk.Buffer.AsSpan(cut, carried).CopyTo(carry);
                chunk.Length = cut;
                offset += cut;
                await parsed.WriteAsync(Task.Run(() => Parse(chunk), CancellationToken.None), cancellationToken).ConfigureAwait(false);
                if (end)
                {
                    return;
                }
            }
        }
        finally
        {
            parsed.TryComplete();
        }
    }

    private Chunk RentChunk()
    {
        if (!_free.TryDequeue(out Chunk? chunk))
        {
            chunk = new Chunk(_chunkSize);
        }

        chunk.Reset();
        return chunk;
    }

    /// <summary>Classifies every line of a chunk, as <see cref="Utf8LineReader"/> and <see cref="LineRecordHandler"/> would.</summary>
    // Jitted fully optimised at first call (see CsvRecordParser.TryParsePlain): called once per chunk, it
    // would otherwise run its loop in ReadyToRun code until enough chunks had gone by to be rejitted.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Chunk Parse(Chunk chunk)
    {
        if (!_handlers.TryTake(out LineRecordHandler? handler))
        {
            handler = _first.CloneAfterHeader(_createParser());
        }

        try
        {
            ReadOnlySpan<byte> bytes = chunk.Buffer.AsSpan(0, chunk.Length);
            int position = 0;
            int index = 0;
            while (position < bytes.Length)
            {
                int newline = bytes[position..].IndexOf((byte)'\n');
                int length = newline < 0 ? bytes.Length - position : newline;
                int end = position + length + (newline < 0 ? 0 : 1);
                ReadOnlySpan<byte> text = bytes.Slice(position, length);
                if (text.Length > 0 && text[^1] == (byte)'\r')
                {
                    text = text[..^1];
                }

                bool tooLong = text.Length > _maxRecordLength;
                var line = new Utf8Line(tooLong ? text[..Math.Min(Utf8LineReader.PrefixLength, text.Length)] : text, index, text.Length, end, tooLong);
                LineKind kind = handler.Classify(line, out string? reason);
                if (kind != LineKind.None)
                {
                    chunk.Add(kind, index, position, line.Text.Length, end, reason, kind == LineKind.Values ? handler.Values : default);
                }

                position = end;
                index++;
            }

            chunk.Lines = index;
            return chunk;
        }
        finally
        {
            _handlers.Add(handler);
        }
    }

    /// <summary>Hands a parsed chunk's records in, in order, flushing full blocks.</summary>
    private static async ValueTask ApplyAsync(Chunk chunk, long firstLine, SourceIngest ingest, LineRecordHandler decoder, CancellationToken cancellationToken)
    {
        int next = 0;
        while (next < chunk.Count)
        {
            if (ingest.MustFlush)
            {
                await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            next = ApplyUntilFull(chunk, next, firstLine, ingest, decoder);
        }
    }

    /// <summary>Hands records in from <paramref name="next"/> until the block is full or the chunk ends; returns the next record.</summary>
    private static int ApplyUntilFull(Chunk chunk, int next, long firstLine, SourceIngest ingest, LineRecordHandler decoder)
    {
        Record[] records = chunk.Records;
        int count = chunk.Count;
        int i = next;
        while (i < count && !ingest.MustFlush)
        {
            int d = ingest.Dimensions;
            if (records[i].Kind == LineKind.Values && d != 0 && records[i].ValueCount == d)
            {
                // A run of records with d values each: handed in at once when all are good.
                int room = ingest.Room;
                int j = i + 1;
                while (j < count && j - i < room && records[j].Kind == LineKind.Values && records[j].ValueCount == d)
                {
                    j++;
                }

                if (ingest.TryAcceptAll(chunk.Values.AsSpan(records[i].ValueStart, (j - i) * d), j - i, chunk.Offset + records[j - 1].End))
                {
                    i = j;
                    continue;
                }

                for (; i < j && !ingest.MustFlush; i++)
                {
                    ApplyOne(chunk, i, firstLine, ingest, decoder);
                }

                continue;
            }

            ApplyOne(chunk, i, firstLine, ingest, decoder);
            i++;
        }

        return i;
    }

    private static void ApplyOne(Chunk chunk, int i, long firstLine, SourceIngest ingest, LineRecordHandler decoder)
    {
        ref readonly Record record = ref chunk.Records[i];
        ReadOnlySpan<byte> text = chunk.Buffer.AsSpan(record.Start, record.TextLength);
        long line = firstLine + record.Line;
        long end = chunk.Offset + record.End;
        switch (record.Kind)
        {
            case LineKind.Values:
                ingest.AcceptUtf8(chunk.Values.AsSpan(record.ValueStart, record.ValueCount), text, line, end);
                break;
            case LineKind.RejectedBytes:
                ingest.Reject(line, record.Reason!, text, end);
                break;
            default:
                ingest.Reject(line, record.Reason!, decoder.Decode(text), end);
                break;
        }
    }

    /// <summary>One record of a chunk: where its line is and what it gave.</summary>
    private struct Record
    {
        public LineKind Kind;
        public int Line;
        public int Start;
        public int TextLength;
        public int End;
        public int ValueStart;
        public int ValueCount;
        public string? Reason;
    }

    /// <summary>A piece of the file cut after a line end, and its records once parsed; reused.</summary>
    private sealed class Chunk
    {
        public Chunk(int size) => Buffer = new byte[size];

        public byte[] Buffer { get; }

        /// <summary>Gets or sets the file offset of the chunk's first byte.</summary>
        public long Offset { get; set; }

        /// <summary>Gets or sets the number of bytes of whole lines (and of a last unterminated line at the end of the file).</summary>
        public int Length { get; set; }

        /// <summary>Gets or sets a value indicating whether the chunk holds no line end: the parallel reading ends at <see cref="Offset"/>.</summary>
        public bool LongLine { get; set; }

        /// <summary>Gets or sets the number of lines, blank ones included.</summary>
        public int Lines { get; set; }

        public Record[] Records { get; private set; } = new Record[1024];

        public int Count { get; private set; }

        public float[] Values { get; private set; } = new float[16 * 1024];

        private int ValueCount { get; set; }

        public void Reset()
        {
            Array.Clear(Records, 0, Count);
            Count = 0;
            ValueCount = 0;
            Lines = 0;
            Length = 0;
            LongLine = false;
        }

        // Once per line (see CsvRecordParser.Values).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(LineKind kind, int line, int start, int textLength, int end, string? reason, ReadOnlySpan<float> values)
        {
            if (Count == Records.Length)
            {
                Records = GrowTo(Records, Count + 1);
            }

            if (ValueCount + values.Length > Values.Length)
            {
                Values = GrowTo(Values, ValueCount + values.Length);
            }

            values.CopyTo(Values.AsSpan(ValueCount));
            Records[Count++] = new Record
            {
                Kind = kind,
                Line = line,
                Start = start,
                TextLength = textLength,
                End = end,
                ValueStart = ValueCount,
                ValueCount = values.Length,
                Reason = reason,
            };
            ValueCount += values.Length;
        }

        private static T[] GrowTo<T>(T[] array, int needed)
        {
            T[] grown = new T[Math.Max(needed, 2 * array.Length)];
            array.CopyTo(grown, 0);
            return grown;
        }
    }
}
