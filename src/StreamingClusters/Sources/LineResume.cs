namespace StreamingClusters.Sources;

/// <summary>
/// Starts reading a line-oriented file at a resume position: the lines before it are replayed (counted,
/// and a header among them read) without being handed in, and the stream is left just past them.
/// Shared by <see cref="FileSource"/> and <see cref="FollowFileSource"/>.
/// </summary>
internal static class LineResume
{
    /// <summary>Positions <paramref name="stream"/> at <paramref name="resume"/>, replaying the lines before it, and returns the reader.</summary>
    /// <param name="stream">The file, seekable, at its start, at least <paramref name="resume"/> bytes long.</param>
    /// <param name="handler">Sees the replayed lines.</param>
    /// <param name="resume">The byte offset to start at: 0, or just past a line.</param>
    /// <param name="maxRecordLength">The longest line that is handed out whole.</param>
    /// <param name="bufferSize">The size of the read buffer.</param>
    /// <param name="notALineStart">The error when no line ends at <paramref name="resume"/>.</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    /// <returns>A reader whose next line starts at <paramref name="resume"/>.</returns>
    public static async ValueTask<Utf8LineReader> StartAsync(
        Stream stream,
        LineRecordHandler handler,
        long resume,
        int maxRecordLength,
        int bufferSize,
        Func<Exception> notALineStart,
        CancellationToken cancellationToken)
    {
        if (resume <= 0)
        {
            return new Utf8LineReader(stream, 0, 1, maxRecordLength, synchronousReads: true, bufferSize);
        }

        var scan = new Utf8LineReader(stream, 0, 1, maxRecordLength, synchronousReads: true, bufferSize);
        while (!ReplayBuffered(scan, handler, resume, notALineStart))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await scan.FillAsync(null, cancellationToken).ConfigureAwait(false))
            {
                if (ReplayFinal(scan, handler, resume))
                {
                    break;
                }

                throw notALineStart();
            }
        }

        stream.Seek(resume, SeekOrigin.Begin);
        return new Utf8LineReader(stream, resume, scan.NextLineNumber, maxRecordLength, synchronousReads: true, bufferSize);
    }

    /// <summary>Replays buffered lines; <see langword="true"/> once a line ends exactly at <paramref name="resume"/>.</summary>
    private static bool ReplayBuffered(Utf8LineReader scan, LineRecordHandler handler, long resume, Func<Exception> notALineStart)
    {
        while (scan.TryReadLine(out Utf8Line line))
        {
            handler.Replay(line);
            if (line.EndPosition >= resume)
            {
                return line.EndPosition == resume ? true : throw notALineStart();
            }
        }

        return false;
    }

    private static bool ReplayFinal(Utf8LineReader scan, LineRecordHandler handler, long resume)
    {
        if (scan.TryReadFinalLine(out Utf8Line line) && line.EndPosition == resume)
        {
            handler.Replay(line);
            return true;
        }

        return false;
    }
}
