namespace StreamingClusters.Sources;

/// <summary>
/// Splits a stream of UTF-8 bytes into lines (LF or CRLF) without decoding them, and tracks the
/// stream offset just past each line so that a reader can resume exactly after it. A UTF-8
/// byte-order mark at offset 0 is skipped. Memory stays bounded: a line longer than the limit is
/// not buffered but discarded up to its newline and handed out as too long, with its first bytes.
/// </summary>
/// <remarks>
/// A pull model keeps the hot path synchronous: <see cref="TryReadLine"/> hands out the lines that
/// are buffered; when it returns <see langword="false"/>, <see cref="FillAsync"/> reads more. When
/// the stream has no more data the caller decides what that means: a finite source takes the
/// unterminated rest as its last line (<see cref="TryReadFinalLine"/>), while a followed file would
/// keep it and call <see cref="FillAsync"/> again once the file has grown.
/// </remarks>
internal sealed class Utf8LineReader
{
    /// <summary>The size of the first buffer, and of every read.</summary>
    public const int DefaultBufferSize = 64 * 1024;

    /// <summary>How many bytes of a too-long line are kept to show in a rejection.</summary>
    public const int PrefixLength = 1024;

    private readonly Stream _stream;
    private readonly int _maxLineLength;
    private readonly int _maxBufferSize;
    private readonly bool _synchronousReads;
    private byte[] _buffer;

    /// <summary>The first buffered byte not handed out yet.</summary>
    private int _start;

    /// <summary>The end of the bytes read.</summary>
    private int _end;

    /// <summary>[_start, _scanned) holds no LF: the next search starts at _scanned.</summary>
    private int _scanned;

    /// <summary>The stream offset of _buffer[_start].</summary>
    private long _position;

    /// <summary>Set while the stream started at offset 0 and its first bytes were not checked for a byte-order mark.</summary>
    private bool _bomPending;

    /// <summary>Set while the rest of a too-long line is being discarded up to its LF.</summary>
    private bool _skipping;
    private long _skippedLength;
    private bool _skippedEndsWithCr;
    private byte[]? _prefix;
    private int _prefixLength;

    /// <summary>Creates a reader.</summary>
    /// <param name="stream">The stream, positioned at <paramref name="startPosition"/>.</param>
    /// <param name="startPosition">The stream offset of the first byte read: the start of a line.</param>
    /// <param name="firstLineNumber">The number of the first line read, from 1.</param>
    /// <param name="maxLineLength">The longest line, in bytes without its terminator, that is handed out whole.</param>
    /// <param name="synchronousReads">Read with blocking calls (regular files, where an asynchronous read only adds a thread hop).</param>
    /// <param name="bufferSize">The size of the first buffer; it grows to hold a line of <paramref name="maxLineLength"/> bytes.</param>
    public Utf8LineReader(Stream stream, long startPosition, long firstLineNumber, int maxLineLength, bool synchronousReads, int bufferSize = DefaultBufferSize)
    {
        Debug.Assert(startPosition >= 0 && firstLineNumber >= 1 && maxLineLength > 0 && bufferSize > 0);
        _stream = stream;
        _position = startPosition;
        NextLineNumber = firstLineNumber;
        _maxLineLength = maxLineLength;
        _synchronousReads = synchronousReads;
        _maxBufferSize = Math.Max(bufferSize, maxLineLength + 2);
        _buffer = new byte[bufferSize];
        _bomPending = startPosition == 0;
    }

    /// <summary>Gets the number the next line will have.</summary>
    public long NextLineNumber { get; private set; }

    /// <summary>
    /// Gets the stream offset of the first byte not handed out yet, once a line has been handed out
    /// and no too-long line is being discarded (<see cref="AtLineStart"/>): the start of the next line.
    /// </summary>
    public long Position => _position;

    /// <summary>Gets a value indicating whether <see cref="Position"/> is the start of the next line.</summary>
    public bool AtLineStart => !_skipping && !_bomPending;

    /// <summary>Gets the size of the buffer: at most the larger of the first size and the limit plus a CRLF.</summary>
    public int BufferCapacity => _buffer.Length;

    /// <summary>Hands out the next buffered line, if a whole one is buffered.</summary>
    /// <param name="line">The line, valid until the next call of <see cref="FillAsync"/>.</param>
    /// <returns><see langword="false"/> when more bytes must be read first.</returns>
    public bool TryReadLine(out Utf8Line line)
    {
        line = default;
        if (_bomPending && !TrySkipBom(final: false))
        {
            return false;
        }

        if (_skipping)
        {
            return TryFinishSkipping(out line);
        }

        int newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
        if (newline < 0)
        {
            _scanned = _end;
            if (_end - _start > _maxLineLength + 1)
            {
                // No LF within the limit, even allowing for a CR before it: too long, whatever follows.
                StartSkipping();
            }

            return false;
        }

        line = Take(_scanned + newline - _start, terminatorLength: 1);
        return true;
    }

    /// <summary>
    /// Once the stream has no more data, hands out the unterminated rest as the last line, if there is one.
    /// Call it after <see cref="TryReadLine"/> has returned <see langword="false"/> and <see cref="FillAsync"/> has read nothing.
    /// </summary>
    /// <param name="line">The last line.</param>
    /// <returns><see langword="false"/> when the stream ended with a line terminator (or was empty).</returns>
    public bool TryReadFinalLine(out Utf8Line line)
    {
        line = default;
        if (_bomPending)
        {
            TrySkipBom(final: true);
        }

        if (_skipping)
        {
            _skipping = false;
            line = SkippedLine(_skippedLength - (_skippedEndsWithCr ? 1 : 0));
            return true;
        }

        if (_end == _start)
        {
            return false;
        }

        line = Take(_end - _start, terminatorLength: 0);
        return true;
    }

    /// <summary>
    /// Reads more bytes. When the read cannot complete at once (the input is idle), calls
    /// <paramref name="whenIdle"/> before waiting for it, so that what was read so far moves on.
    /// </summary>
    /// <param name="whenIdle">What to do while waiting for input, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns><see langword="false"/> when the stream had no more data.</returns>
    public async ValueTask<bool> FillAsync(Func<CancellationToken, ValueTask>? whenIdle, CancellationToken cancellationToken)
    {
        MakeRoom();
        Memory<byte> free = _buffer.AsMemory(_end);
        int read;
        if (_synchronousReads)
        {
            cancellationToken.ThrowIfCancellationRequested();
            read = _stream.Read(free.Span);
        }
        else
        {
            ValueTask<int> pending = _stream.ReadAsync(free, cancellationToken);
            if (pending.IsCompleted)
            {
                read = await pending.ConfigureAwait(false);
            }
            else
            {
                // A task, so that the read can be abandoned safely if the flush or the wait is cancelled:
                // the buffer is this reader's own, never pooled, so a late write into it harms nothing.
                Task<int> reading = pending.AsTask();
                if (whenIdle is not null)
                {
                    await whenIdle(cancellationToken).ConfigureAwait(false);
                }

                // Some streams (standard input) ignore the token while they wait for data.
                read = await reading.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        _end += read;
        return read > 0;
    }

    private Utf8Line Take(int length, int terminatorLength)
    {
        ReadOnlySpan<byte> text = _buffer.AsSpan(_start, length);
        if (text.Length > 0 && text[^1] == (byte)'\r')
        {
            text = text[..^1];
        }

        long end = _position + length + terminatorLength;
        bool tooLong = text.Length > _maxLineLength;
        var line = new Utf8Line(tooLong ? text[..Math.Min(PrefixLength, text.Length)] : text, NextLineNumber++, text.Length, end, tooLong);
        _start += length + terminatorLength;
        _scanned = _start;
        _position = end;
        return line;
    }

    private void StartSkipping()
    {
        _prefix ??= new byte[PrefixLength];
        _prefixLength = 0;
        _skipping = true;
        _skippedLength = 0;
        Discard(_end - _start);
    }

    private bool TryFinishSkipping(out Utf8Line line)
    {
        int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
        if (newline < 0)
        {
            Discard(_end - _start);
            line = default;
            return false;
        }

        int kept = Math.Min(newline, PrefixLength - _prefixLength);
        _buffer.AsSpan(_start, kept).CopyTo(_prefix.AsSpan(_prefixLength));
        _prefixLength += kept;
        bool crBefore = newline > 0 ? _buffer[_start + newline - 1] == (byte)'\r' : _skippedEndsWithCr;
        long length = _skippedLength + newline - (crBefore ? 1 : 0);
        _start += newline + 1;
        _scanned = _start;
        _position += newline + 1;
        _skipping = false;
        line = SkippedLine(length);
        return true;
    }

    private Utf8Line SkippedLine(long length)
    {
        // The kept bytes may reach into the terminator's CR when the limit is below the prefix length.
        ReadOnlySpan<byte> prefix = _prefix.AsSpan(0, (int)Math.Min(_prefixLength, length));
        return new Utf8Line(prefix, NextLineNumber++, length, _position, isTooLong: true);
    }

    /// <summary>Drops the buffered bytes of a too-long line, keeping count of them and its first bytes.</summary>
    private void Discard(int count)
    {
        Debug.Assert(count == _end - _start && _prefix is not null);
        if (count > 0)
        {
            int kept = Math.Min(count, PrefixLength - _prefixLength);
            _buffer.AsSpan(_start, kept).CopyTo(_prefix.AsSpan(_prefixLength));
            _prefixLength += kept;
            _skippedEndsWithCr = _buffer[_end - 1] == (byte)'\r';
        }

        _skippedLength += count;
        _position += count;
        _start = _end = _scanned = 0;
    }

    private bool TrySkipBom(bool final)
    {
        ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
        int available = _end - _start;
        if (!bom.StartsWith(_buffer.AsSpan(_start, Math.Min(available, bom.Length))))
        {
            _bomPending = false;
            return true;
        }

        if (available < bom.Length)
        {
            // The bytes so far could begin a byte-order mark: wait for more, unless there are no more.
            _bomPending = !final;
            return final;
        }

        _start += bom.Length;
        _scanned = _start;
        _position += bom.Length;
        _bomPending = false;
        return true;
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _scanned -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // A partial line fills the buffer, and it is not too long yet (else it would be skipped).
            Debug.Assert(_buffer.Length < _maxBufferSize, "Read the buffered lines before reading more.");
            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, _maxBufferSize));
        }
    }
}
