using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using StreamingClusters.Ingest;

namespace StreamingClusters.Sinks;

/// <summary>
/// Appends every rejected record to a file as one JSON line:
/// <c>{"source":…,"record":…,"reason":…,"raw":…,"time":…}</c>, the time in ISO 8601 UTC, with <c>"model"</c> first
/// for a named model's records.
/// Writes are buffered and serialised by a lock, so any source's thread may write; <see cref="FlushAsync"/>
/// writes the buffer out and forces it to disk.
/// </summary>
public sealed class JsonLinesDeadLetterSink : IDeadLetterSink, IDisposable, IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The file is read by people and tools, never embedded in HTML: keep <, >, & and non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Lock _lock = new();
    private readonly FileStream _file;
    private readonly SafeFileHandle _handle;
    private readonly ArrayBufferWriter<byte> _line = new(512);
    private readonly Utf8JsonWriter _json;
    private readonly TimeProvider _time;

    /// <summary>Set once disposed; read and written under <see cref="_lock"/>.</summary>
    private bool _disposed;

    /// <summary>Opens (creating if needed) the file to append to.</summary>
    /// <param name="path">The file.</param>
    /// <param name="timeProvider">The clock that stamps each record; the system clock by default.</param>
    public JsonLinesDeadLetterSink(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        _time = timeProvider ?? TimeProvider.System;
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = BufferSize,
        });

        // Taken before the first write, so that forcing data to disk needs no call on the stream.
        _handle = _file.SafeFileHandle;
        _json = new Utf8JsonWriter(_line, WriterOptions);
    }

    /// <summary>Gets the file written to.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    public void Write(in RejectedRecord record)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _line.ResetWrittenCount();
            _json.Reset();
            _json.WriteStartObject();
            if (record.Model is { } model)
            {
                _json.WriteString("model"u8, model);
            }

            _json.WriteString("source"u8, record.Source);
            _json.WriteNumber("record"u8, record.Record);
            _json.WriteString("reason"u8, record.Reason);
            _json.WriteString("raw"u8, record.Raw);
            _json.WriteString("time"u8, now);
            _json.WriteEndObject();
            _json.Flush();
            _file.Write(_line.WrittenSpan);
            _file.WriteByte((byte)'\n');
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The sink was disposed.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _file.Flush();
        }

        // Outside the lock, so that writers do not wait for the disk.
        await Task.Run(ForceToDisk, cancellationToken).ConfigureAwait(false);
    }

    private void ForceToDisk()
    {
        try
        {
            RandomAccess.FlushToDisk(_handle);
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: disposing forced everything to disk itself.
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _json.Dispose();
            _file.Flush(flushToDisk: true);
            _file.Dispose();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
