using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using StreamingClusters.Diagnostics;

namespace StreamingClusters.Checkpoints;

/// <summary>
/// Reads and writes checkpoints. A write goes to a temporary file that is flushed to disk, then the
/// current checkpoint is renamed to <c>.prev</c> and the new one renamed into place, so a crash at any
/// moment leaves a complete checkpoint behind. Each file carries a SHA-256 of its content: a torn or
/// altered file is detected, and the service never starts from it. A write that fails (disk full,
/// directory gone or read-only, I/O error) is logged with the OS error, counted in <see cref="Status"/>
/// and the metrics, and leaves the last good checkpoint in place; the caller goes on and tries again later.
/// </summary>
public sealed partial class CheckpointStore
{
    private readonly ILogger _logger;
    private readonly CheckpointFileSystem _files;
    private readonly StreamingClustersMetrics? _metrics;
    private volatile CheckpointStatus _status;

    /// <summary>Creates a store for one checkpoint file.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="logger">Logs writes that fail and fallbacks to the previous checkpoint.</param>
    public CheckpointStore(string path, ILogger logger)
        : this(path, logger, CheckpointFileSystem.Real, null)
    {
    }

    /// <summary>Creates a store over <paramref name="files"/>, counting writes in <paramref name="metrics"/>.</summary>
    internal CheckpointStore(string path, ILogger logger, CheckpointFileSystem files, StreamingClustersMetrics? metrics)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(files);
        Path = System.IO.Path.GetFullPath(path);
        _logger = logger;
        _files = files;
        _metrics = metrics;
        _status = new CheckpointStatus(Path, 0, 0, 0, null, null);
    }

    /// <summary>Gets how writes are going; read from any thread.</summary>
    public CheckpointStatus Status => _status;

    /// <summary>
    /// Gets or sets a hook called at each step of a write, for fault tests that kill the process at that
    /// moment; it runs on the writing thread and may block. Null in production.
    /// </summary>
    internal Action<CheckpointWriteStage, string>? StageReached { get; set; }

    /// <summary>Gets the checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Gets the previous checkpoint, kept beside the current one.</summary>
    public string PreviousPath => Path + ".prev";

    /// <summary>
    /// Loads the latest good checkpoint: the current file, or the previous one if the current is
    /// missing or corrupt (a crash between the two renames, or a damaged file).
    /// </summary>
    /// <returns>The checkpoint, or null when there is none.</returns>
    /// <exception cref="CheckpointException">A checkpoint exists but neither it nor the previous one can be used.</exception>
    public Checkpoint? Load()
    {
        bool current = _files.Exists(Path);
        bool previous = _files.Exists(PreviousPath);
        if (!current && !previous)
        {
            return null;
        }

        string? problem = null;
        if (current)
        {
            if (TryRead(Path, out Checkpoint? checkpoint, out problem))
            {
                return checkpoint;
            }
        }

        if (previous && TryRead(PreviousPath, out Checkpoint? older, out string? olderProblem))
        {
            LogFallback(Path, problem ?? "it is missing", PreviousPath);
            return older;
        }

        throw new CheckpointException(
            $"The checkpoint '{(current ? Path : PreviousPath)}' cannot be used: {problem ?? "it is unreadable"}. " +
            "Nothing was started from it. Move it away, or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).");
    }

    /// <summary>Writes a checkpoint atomically; the previous one is kept as <see cref="PreviousPath"/>.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns><see langword="true"/> when written; false when the write failed (logged), the last good checkpoint left intact.</returns>
    public bool Write(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        string temporary = Path + ".tmp";
        Action<CheckpointWriteStage, string>? stageReached = StageReached;
        try
        {
            byte[] payload = JsonSerializer.SerializeToUtf8Bytes(checkpoint, CheckpointJsonContext.Default.Checkpoint);
            using (Stream stream = _files.Create(temporary))
            {
                stream.Write("{\"sha256\":\""u8);
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(payload))));
                stream.Write("\",\"checkpoint\":"u8);
                if (stageReached is not null)
                {
                    // Half the payload reaches the file, so a kill here leaves a torn temporary file behind.
                    stream.Write(payload.AsSpan(0, payload.Length / 2));
                    stream.Flush();
                    stageReached(CheckpointWriteStage.TemporaryPartlyWritten, temporary);
                    stream.Write(payload.AsSpan(payload.Length / 2));
                }
                else
                {
                    stream.Write(payload);
                }

                stream.Write("}\n"u8);
                _files.FlushToDisk(stream);
            }

            stageReached?.Invoke(CheckpointWriteStage.TemporaryWritten, temporary);
            if (_files.Exists(Path))
            {
                _files.Move(Path, PreviousPath, overwrite: true);
                stageReached?.Invoke(CheckpointWriteStage.PreviousMoved, PreviousPath);
            }

            _files.Move(temporary, Path, overwrite: false);
            _files.FlushDirectoryToDisk(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CheckpointStatus failing = _status;
            string reason = $"{ex.GetType().Name}: {ex.Message}";
            _status = failing with { Failed = failing.Failed + 1, ConsecutiveFailures = failing.ConsecutiveFailures + 1, LastError = reason };
            _metrics?.CheckpointWritten(succeeded: false);
            LogWriteFailed(ex, Path, reason, failing.ConsecutiveFailures + 1);
            TryDelete(temporary);
            return false;
        }

        CheckpointStatus before = _status;
        if (before.IsFailing)
        {
            LogWriteRecovered(Path, before.ConsecutiveFailures);
        }

        _status = before with { Written = before.Written + 1, ConsecutiveFailures = 0, LastWritten = checkpoint.Written, LastError = null };
        _metrics?.CheckpointWritten(succeeded: true);
        return true;
    }

    private bool TryRead(string path, out Checkpoint? checkpoint, out string? problem)
    {
        checkpoint = null;
        try
        {
            byte[] bytes = _files.ReadAllBytes(path);
            using JsonDocument document = JsonDocument.Parse(bytes);
            if (!document.RootElement.TryGetProperty("sha256", out JsonElement hash) || !document.RootElement.TryGetProperty("checkpoint", out JsonElement body))
            {
                problem = "it is not a checkpoint file (no sha256 or checkpoint field)";
                return false;
            }

            byte[] payload = Encoding.UTF8.GetBytes(body.GetRawText());
            if (!string.Equals(hash.GetString(), Convert.ToHexStringLower(SHA256.HashData(payload)), StringComparison.Ordinal))
            {
                problem = "its content does not match its SHA-256 (the file is torn or altered)";
                return false;
            }

            checkpoint = body.Deserialize(CheckpointJsonContext.Default.Checkpoint);
            if (checkpoint is null || checkpoint.Format != Checkpoint.CurrentFormat)
            {
                problem = $"its format {checkpoint?.Format} is not {Checkpoint.CurrentFormat}";
                return false;
            }

            problem = null;
            return true;
        }
        catch (JsonException ex)
        {
            problem = $"it is not valid JSON ({ex.Message})";
        }
        catch (InvalidOperationException ex)
        {
            // A damaged byte can leave valid JSON structure around text that is not UTF-8.
            problem = $"it is not valid UTF-8 JSON ({ex.Message})";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"it cannot be read ({ex.Message})";
        }

        return false;
    }

    private void TryDelete(string path)
    {
        try
        {
            _files.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: a stray temporary file is overwritten by the next write.
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Could not write the checkpoint {Path}: {Reason} ({Failures} failed in a row); the model goes on learning, the last good checkpoint is intact and the next interval tries again")]
    private partial void LogWriteFailed(Exception exception, string path, string reason, int failures);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "The checkpoint {Path} is written again after {Failures} failed writes")]
    private partial void LogWriteRecovered(string path, int failures);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "The checkpoint {Path} cannot be used ({Reason}); continuing from the previous one, {Previous}")]
    private partial void LogFallback(string path, string reason, string previous);
}

/// <summary>The JSON form of checkpoints.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Checkpoint))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext
{
}
