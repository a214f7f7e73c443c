using StreamingClusters.Ingest;

namespace StreamingClusters.Sources;

/// <summary>
/// Reads a line-oriented file (CSV or JSON lines), or standard input, one record per line, and hands
/// every record to the ingest. Bytes are split into lines and parsed without decoding them first;
/// a good record allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Delivery. A file is replayable: every block carries the byte offset just past its last record,
/// and a restart that sets <see cref="ResumePosition"/> to that offset continues with the next
/// record, so each record is delivered once across restarts. Line numbers continue too: the lines
/// before the offset are counted (and a header among them read) without being parsed. Standard
/// input is read once, cannot be replayed, and reports −1 as its position.
/// </para>
/// <para>
/// Flushing. A block is sent when it is full, when the source ends or is cancelled, and, for
/// standard input, whenever a read would wait for input, so that a slow stream still reaches the model.
/// </para>
/// <para>
/// Parallel parsing. A file of at least a chunk (1 MiB) past its header is parsed on several threads
/// in chunks cut at line ends (<see cref="ParallelLineParser"/>); the records still reach the ingest
/// in file order, so points, counts, line numbers, positions and the model are those of a serial read.
/// </para>
/// </remarks>
public sealed class FileSource : IPointSource
{
    private readonly Func<Stream> _open;
    private readonly Func<RecordParser> _createParser;
    private readonly int _maxRecordLength;
    private readonly int _bufferSize;
    private readonly int _parseThreads;
    private readonly int _chunkSize;
    private long _resumePosition;

    /// <summary>Creates a source.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="path">The file, or <see langword="null"/> for a stream that cannot be replayed (standard input).</param>
    /// <param name="open">Opens the input; for a file, a seekable stream at its start.</param>
    /// <param name="createParser">Creates the format's parser, once per run.</param>
    /// <param name="maxRecordLength">The longest line, in bytes, that is parsed; a longer one is rejected.</param>
    /// <param name="bufferSize">The size of the read buffer.</param>
    /// <param name="parseThreads">How many threads parse a file at once; 1 parses line by line (standard input always is).</param>
    /// <param name="chunkSize">The size of a chunk parsed on its own thread, and the least rest of a file that is parsed in parallel.</param>
    internal FileSource(
        string name,
        string? path,
        Func<Stream> open,
        Func<RecordParser> createParser,
        int maxRecordLength,
        int bufferSize = Utf8LineReader.DefaultBufferSize,
        int parseThreads = 1,
        int chunkSize = ParallelLineParser.DefaultChunkSize)
    {
        Debug.Assert(maxRecordLength > 0 && bufferSize > 0);
        Name = name;
        Path = path;
        _open = open;
        _createParser = createParser;
        _maxRecordLength = maxRecordLength;
        _bufferSize = bufferSize;
        _parseThreads = parseThreads;
        _chunkSize = chunkSize;
        _resumePosition = path is null ? -1 : 0;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Gets the file read, or <see langword="null"/> for standard input.</summary>
    public string? Path { get; }

    /// <inheritdoc/>
    /// <value>Always <see langword="true"/>: a file is read to its end once (<see cref="FollowFileSource"/> follows a growing file).</value>
    public bool IsFinite => true;

    /// <inheritdoc/>
    /// <value>The byte offset to start reading at, just past a record; 0 by default for a file, −1 for standard input.</value>
    /// <exception cref="NotSupportedException">A position is set on standard input.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A file's position is negative.</exception>
    public long ResumePosition
    {
        get => _resumePosition;
        set
        {
            if (Path is null)
            {
                if (value > 0)
                {
                    throw new NotSupportedException($"The source '{Name}' reads standard input, which cannot be replayed from position {value}.");
                }

                return;
            }

            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _resumePosition = value;
        }
    }

    private bool IsReplayable => Path is not null;

    /// <inheritdoc/>
    /// <exception cref="OperationCanceledException">The source was cancelled (after flushing what it had read).</exception>
    /// <exception cref="InvalidDataException">The resume position is not the start of a line of the file.</exception>
    /// <exception cref="InvalidOperationException">The configured columns do not fit the header.</exception>
    public async Task RunAsync(SourceIngest ingest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        var handler = new LineRecordHandler(_createParser(), _maxRecordLength, IsReplayable);
        Stream stream = _open();
        try
        {
            Utf8LineReader reader = await StartAsync(stream, handler, cancellationToken).ConfigureAwait(false);
            Func<CancellationToken, ValueTask>? whenIdle = IsReplayable ? null : ingest.FlushAsync;
            bool mayGoParallel = IsReplayable && _parseThreads > 1;
            while (true)
            {
                if (!HandleBuffered(reader, handler, ingest))
                {
                    await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (mayGoParallel && handler.HeaderDecided && reader.AtLineStart)
                {
                    // The header is known: the rest of the file can be parsed in chunks on several threads
                    // (a regular file; a named pipe given as a path is read line by line).
                    mayGoParallel = false;
                    var parallel = new ParallelLineParser(handler, _createParser, _maxRecordLength, _parseThreads, _chunkSize);
                    if (stream.CanSeek && stream.Length - reader.Position >= parallel.ChunkSize)
                    {
                        if (await parallel.RunAsync(stream, reader.Position, reader.NextLineNumber, ingest, cancellationToken).ConfigureAwait(false) is not { } rest)
                        {
                            return;
                        }

                        // A line longer than a chunk: read on line by line from it.
                        stream.Seek(rest.Position, SeekOrigin.Begin);
                        reader = new Utf8LineReader(stream, rest.Position, rest.Line, _maxRecordLength, synchronousReads: true, _bufferSize);
                        continue;
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                if (!await reader.FillAsync(whenIdle, cancellationToken).ConfigureAwait(false))
                {
                    HandleFinal(reader, handler, ingest);
                    return;
                }
            }
        }
        finally
        {
            try
            {
                await ingest.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Hands in the buffered lines until none is left (<see langword="true"/>) or a block is full (<see langword="false"/>).</summary>
    private static bool HandleBuffered(Utf8LineReader reader, LineRecordHandler handler, SourceIngest ingest)
    {
        while (!ingest.MustFlush)
        {
            if (!reader.TryReadLine(out Utf8Line line))
            {
                return true;
            }

            handler.Handle(line, ingest);
        }

        return false;
    }

    private static void HandleFinal(Utf8LineReader reader, LineRecordHandler handler, SourceIngest ingest)
    {
        if (reader.TryReadFinalLine(out Utf8Line line))
        {
            handler.Handle(line, ingest);
        }
    }

    /// <summary>Positions the stream at the resume position, replaying the lines before it, and returns the reader.</summary>
    private ValueTask<Utf8LineReader> StartAsync(Stream stream, LineRecordHandler handler, CancellationToken cancellationToken)
    {
        long resume = _resumePosition;
        if (resume <= 0)
        {
            return ValueTask.FromResult(new Utf8LineReader(stream, 0, 1, _maxRecordLength, synchronousReads: IsReplayable, _bufferSize));
        }

        long length = stream.Length;
        if (resume > length)
        {
            throw new InvalidDataException(
                $"The source '{Name}' cannot resume at byte {resume} of '{Path}': the file has only {length} bytes (was it truncated or replaced?).");
        }

        return LineResume.StartAsync(stream, handler, resume, _maxRecordLength, _bufferSize, () => NotALineStart(resume), cancellationToken);
    }

    private InvalidDataException NotALineStart(long resume) => new(
        $"The source '{Name}' cannot resume at byte {resume} of '{Path}': no line ends there (did the file change since the checkpoint?).");
}
