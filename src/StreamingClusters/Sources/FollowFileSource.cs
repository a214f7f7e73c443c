using StreamingClusters.Ingest;

namespace StreamingClusters.Sources;

/// <summary>
/// Follows a growing line-oriented file (CSV or JSON lines), as <c>tail -F</c> does: reads it to its end,
/// then polls for appended lines, and keeps going when the file is truncated or replaced (rotated).
/// </summary>
/// <remarks>
/// <para>
/// Lines. A line is handed in only once its newline has arrived; an unterminated tail waits for the
/// rest. When the file is truncated or replaced, an unterminated tail left in the old content will
/// never be completed: it is rejected (counted and dead-lettered with its text), never applied.
/// </para>
/// <para>
/// Truncation and rotation. At the end of the data, and at most once per poll, the source checks the
/// path. If the open file is now shorter than what was read, it was truncated: reading restarts at
/// its byte 0. If the path names another file (see <see cref="FileIdentity"/>), the rest of the old
/// file is read first, then the new file is read from its start. A new file starts afresh: its line
/// numbers start at 1 and a CSV header in it is read again. While the path names no file (between
/// a rename and the creation of the next file, or before the first one), the source keeps waiting.
/// A file truncated and refilled past the read position between two polls is not noticed as truncated.
/// </para>
/// <para>
/// Delivery. Every block carries the byte offset into the current file just past its last record; a
/// restart that sets <see cref="ResumePosition"/> to it continues with the next record. A file shorter
/// than the resume position is taken as rotated or truncated while stopped, and read from its start;
/// the source cannot tell a different file that is long enough from the checkpointed one.
/// </para>
/// <para>
/// Waiting and flushing. At the end of the data the current block is flushed, so that a slow stream
/// reaches the model, and the source waits one poll interval on its <see cref="TimeProvider"/>.
/// Cancellation ends the wait at once; what was read is flushed before <see cref="RunAsync"/> returns.
/// An unterminated tail is not handed in on cancellation: the last position sent is just before it,
/// so a restart reads it again, whole once its newline has arrived. Polling alone drives the reads
/// (no <see cref="FileSystemWatcher"/>): an append is seen within one poll interval.
/// </para>
/// </remarks>
public sealed class FollowFileSource : IPointSource
{
    private readonly Func<RecordParser> _createParser;
    private readonly int _maxRecordLength;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly int _bufferSize;
    private long _resumePosition;

    /// <summary>Creates a source.</summary>
    /// <param name="name">The source's name.</param>
    /// <param name="path">The file to follow; it need not exist yet.</param>
    /// <param name="createParser">Creates the format's parser, once for each file read.</param>
    /// <param name="maxRecordLength">The longest line, in bytes, that is parsed; a longer one is rejected.</param>
    /// <param name="pollInterval">How long to wait at the end of the data before looking again.</param>
    /// <param name="time">The clock of the wait.</param>
    /// <param name="bufferSize">The size of the read buffer.</param>
    internal FollowFileSource(
        string name,
        string path,
        Func<RecordParser> createParser,
        int maxRecordLength,
        TimeSpan pollInterval,
        TimeProvider time,
        int bufferSize = Utf8LineReader.DefaultBufferSize)
    {
        Debug.Assert(maxRecordLength > 0 && bufferSize > 0 && pollInterval > TimeSpan.Zero);
        Name = name;
        Path = path;
        _createParser = createParser;
        _maxRecordLength = maxRecordLength;
        _pollInterval = pollInterval;
        _time = time;
        _bufferSize = bufferSize;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Gets the file followed.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    /// <value>Always <see langword="false"/>: the source reads until it is cancelled.</value>
    public bool IsFinite => false;

    /// <inheritdoc/>
    /// <value>The byte offset into the current file to start reading at, just past a record; 0 by default.</value>
    /// <exception cref="ArgumentOutOfRangeException">The position is negative.</exception>
    public long ResumePosition
    {
        get => _resumePosition;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _resumePosition = value;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="OperationCanceledException">The source was cancelled (after flushing what it had read).</exception>
    /// <exception cref="InvalidDataException">The resume position is not the start of a line of the file.</exception>
    /// <exception cref="InvalidOperationException">The configured columns do not fit the header.</exception>
    public async Task RunAsync(SourceIngest ingest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        FileStream? stream = null;
        try
        {
            while ((stream = FileIdentity.TryOpen(Path)) is null)
            {
                await Task.Delay(_pollInterval, _time, cancellationToken).ConfigureAwait(false);
            }

            var handler = new LineRecordHandler(_createParser(), _maxRecordLength, replayable: true);
            Utf8LineReader reader = await StartAsync(stream, handler, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                await ReadAvailableAsync(reader, handler, ingest, cancellationToken).ConfigureAwait(false);

                // At the end of the data: let what was read reach the model, then see what became of the file.
                await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (stream.Length < stream.Position)
                {
                    RejectUnfinished(reader, ingest, "the file was truncated");
                    stream.Seek(0, SeekOrigin.Begin);
                }
                else if (FileIdentity.TryOpenIfReplaced(Path, stream) is { } next)
                {
                    // Lines appended to the old file before the rename are still its own.
                    await ReadAvailableAsync(reader, handler, ingest, cancellationToken).ConfigureAwait(false);
                    await stream.DisposeAsync().ConfigureAwait(false);
                    stream = next;
                    RejectUnfinished(reader, ingest, "the file was replaced (rotated)");
                }
                else
                {
                    await Task.Delay(_pollInterval, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                handler = new LineRecordHandler(_createParser(), _maxRecordLength, replayable: true);
                reader = new Utf8LineReader(stream, 0, 1, _maxRecordLength, synchronousReads: true, _bufferSize);
            }
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            await ingest.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Hands in every whole line up to the current end of the file; an unterminated tail stays buffered.</summary>
    private static async ValueTask ReadAvailableAsync(Utf8LineReader reader, LineRecordHandler handler, SourceIngest ingest, CancellationToken cancellationToken)
    {
        while (true)
        {
            while (!ingest.MustFlush && reader.TryReadLine(out Utf8Line line))
            {
                handler.Handle(line, ingest);
            }

            if (ingest.MustFlush)
            {
                await ingest.FlushAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!await reader.FillAsync(null, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Rejects the old content's unterminated tail, if any: its newline will never come. Its resume
    /// position is 0, the start of the content read next.
    /// </summary>
    private static void RejectUnfinished(Utf8LineReader reader, SourceIngest ingest, string why)
    {
        if (reader.TryReadFinalLine(out Utf8Line line))
        {
            string reason = string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"the line has no line break ({line.Length} bytes) and never will: {why}");
            ingest.Reject(line.Number, reason, line.Text, 0);
        }
    }

    /// <summary>Starts at the resume position; a file shorter than it is read from its start.</summary>
    private ValueTask<Utf8LineReader> StartAsync(FileStream stream, LineRecordHandler handler, CancellationToken cancellationToken)
    {
        long resume = _resumePosition;
        if (resume > stream.Length)
        {
            resume = 0;
        }

        return LineResume.StartAsync(
            stream,
            handler,
            resume,
            _maxRecordLength,
            _bufferSize,
            () => new InvalidDataException(
                $"The source '{Name}' cannot resume at byte {resume} of '{Path}': no line ends there (did the file change since the checkpoint?)."),
            cancellationToken);
    }
}
