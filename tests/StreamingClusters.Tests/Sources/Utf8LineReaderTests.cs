using System.IO.Pipes;
using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class Utf8LineReaderTests
{
    private sealed record LineSeen(string Text, long Number, long Length, long End, bool TooLong);

    /// <summary>Returns at most a few bytes per read, so that lines and marks straddle reads.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content, writable: false)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(chunk, buffer.Length)]);
    }

    /// <summary>An endless run of one byte, generated as it is read, up to a length.</summary>
    private sealed class GeneratedStream(long length, byte value, byte[] tail) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length + tail.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            if (_position < length)
            {
                int n = (int)Math.Min(buffer.Length, length - _position);
                buffer[..n].Fill(value);
                _position += n;
                return n;
            }

            int offset = (int)(_position - length);
            int t = Math.Min(buffer.Length, tail.Length - offset);
            tail.AsSpan(offset, t).CopyTo(buffer);
            _position += t;
            return t;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<List<LineSeen>> ReadAllAsync(Utf8LineReader reader)
    {
        var lines = new List<LineSeen>();
        while (true)
        {
            Drain(reader, lines);
            if (!await reader.FillAsync(null, CancellationToken.None))
            {
                if (reader.TryReadFinalLine(out Utf8Line last))
                {
                    lines.Add(Seen(last));
                }

                return lines;
            }
        }
    }

    private static void Drain(Utf8LineReader reader, List<LineSeen> lines)
    {
        while (reader.TryReadLine(out Utf8Line line))
        {
            lines.Add(Seen(line));
        }
    }

    private static LineSeen Seen(in Utf8Line line) => new(Encoding.UTF8.GetString(line.Text), line.Number, line.Length, line.EndPosition, line.IsTooLong);

    private static Task<List<LineSeen>> ReadAllAsync(string content, int maxLineLength = 64, int bufferSize = 16, int chunk = int.MaxValue) =>
        ReadAllAsync(new Utf8LineReader(new TrickleStream(Encoding.UTF8.GetBytes(content), chunk), 0, 1, maxLineLength, synchronousReads: true, bufferSize));

    [Fact]
    public async Task TryReadLine_LfAndCrLf_LinesWithoutTerminatorsAndTheirEndOffsets()
    {
        List<LineSeen> lines = await ReadAllAsync("a,b\r\n\nccc\n");

        Assert.Equal(
            [new("a,b", 1, 3, 5, false), new("", 2, 0, 6, false), new("ccc", 3, 3, 10, false)],
            lines);
    }

    [Fact]
    public async Task TryReadFinalLine_NoFinalNewline_TheRestIsTheLastLine()
    {
        List<LineSeen> lines = await ReadAllAsync("1\n2\r");

        Assert.Equal([new("1", 1, 1, 2, false), new("2", 2, 1, 4, false)], lines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task TryReadLine_ByteOrderMarkSplitAcrossReads_SkippedAndCountedInOffsets(int chunk)
    {
        List<LineSeen> lines = await ReadAllAsync("\uFEFFx\ny", chunk: chunk);

        Assert.Equal([new("x", 1, 1, 5, false), new("y", 2, 1, 6, false)], lines);
    }

    [Fact]
    public async Task TryReadLine_ByteOrderMarkAfterTheStart_IsText()
    {
        byte[] content = Encoding.UTF8.GetBytes("\uFEFFx\n");
        var reader = new Utf8LineReader(new MemoryStream(content), 100, 7, 64, synchronousReads: true);

        List<LineSeen> lines = await ReadAllAsync(reader);

        Assert.Equal([new("\uFEFFx", 7, 4, 105, false)], lines);
    }

    [Fact]
    public async Task TryReadFinalLine_PartOfAByteOrderMarkOnly_IsALine()
    {
        var reader = new Utf8LineReader(new MemoryStream([0xEF, 0xBB]), 0, 1, 64, synchronousReads: true);

        List<LineSeen> lines = await ReadAllAsync(reader);

        Assert.Equal(2, Assert.Single(lines).Length);
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(3, 16)]
    [InlineData(64, 16)]
    [InlineData(64, 4096)]
    public async Task TryReadLine_LinesLongerThanTheLimit_HandedOutAsTooLongWithPrefixLengthAndEnd(int chunk, int bufferSize)
    {
        string longLine = new('x', 40);
        string content = "ok\n" + longLine + "\r\n" + "fine\n" + new string('y', 21) + "\n" + longLine;

        List<LineSeen> lines = await ReadAllAsync(content, maxLineLength: 20, bufferSize: bufferSize, chunk: chunk);

        Assert.Equal(
            [
                new("ok", 1, 2, 3, false),
                new(longLine, 2, 40, 45, true),
                new("fine", 3, 4, 50, false),
                new(new string('y', 21), 4, 21, 72, true),
                new(longLine, 5, 40, 112, true),
            ],
            lines);
    }

    [Fact]
    public async Task TryReadLine_LineOfExactlyTheLimitWithCrLf_IsNotTooLong()
    {
        string line = new('z', 20);

        List<LineSeen> lines = await ReadAllAsync(line + "\r\n" + line, maxLineLength: 20, bufferSize: 4);

        Assert.Equal([new(line, 1, 20, 22, false), new(line, 2, 20, 42, false)], lines);
    }

    [Fact]
    public async Task FillAsync_OneGigabyteLine_BufferStaysBoundedAndTheNextLineIsRead()
    {
        const long length = 1L << 30;
        var reader = new Utf8LineReader(new GeneratedStream(length, (byte)'7', "\n1,2\n"u8.ToArray()), 0, 1, 1000, synchronousReads: true);

        List<LineSeen> lines = await ReadAllAsync(reader);

        Assert.Equal(2, lines.Count);
        Assert.Equal((1L, length, length + 1, true), (lines[0].Number, lines[0].Length, lines[0].End, lines[0].TooLong));
        Assert.Equal(Utf8LineReader.PrefixLength, lines[0].Text.Length);
        Assert.Equal(new LineSeen("1,2", 2, 3, length + 5, false), lines[1]);
        Assert.Equal(Utf8LineReader.DefaultBufferSize, reader.BufferCapacity);
    }

    [Fact]
    public async Task FillAsync_ReadWouldWait_CallsWhenIdleBeforeWaiting()
    {
        var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        var reader = new Utf8LineReader(client, 0, 1, 64, synchronousReads: false);
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        ValueTask<bool> fill = reader.FillAsync(_ => { idle.SetResult(); return ValueTask.CompletedTask; }, CancellationToken.None);
        await idle.Task;
        await pipe.WriteAsync("a\n"u8.ToArray());
        await pipe.FlushAsync();

        Assert.True(await fill);
        Assert.True(reader.TryReadLine(out Utf8Line line));
        Assert.Equal("a", Encoding.UTF8.GetString(line.Text));
        await pipe.DisposeAsync();
    }
}
