using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace StreamingClusters.Checkpoints;

/// <summary>
/// Reads and writes checkpoints. A write goes to a temporary file that is flushed to disk, then the
/// current checkpoint is renamed to <c>.prev</c> and the new one renamed into place, so a crash at any
/// moment leaves a complete checkpoint behind. Each file carries a SHA-256 of its content: a torn or
/// altered file is detected, and the service never starts from it.
/// </summary>
public sealed partial class CheckpointStore
{
    private readonly ILogger _logger;

    /// <summary>Creates a store for one checkpoint file.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="logger">Logs writes that fail and fallbacks to the previous checkpoint.</param>
    public CheckpointStore(string path, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(logger);
        Path = System.IO.Path.GetFullPath(path);
        _logger = logger;
    }

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
        bool current = File.Exists(Path);
        bool previous = File.Exists(PreviousPath);
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
        try
        {
            byte[] payload = JsonSerializer.SerializeToUtf8Bytes(checkpoint, CheckpointJsonContext.Default.Checkpoint);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write("{\"sha256\":\""u8);
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(payload))));
                stream.Write("\",\"checkpoint\":"u8);
                stream.Write(payload);
                stream.Write("}\n"u8);
                stream.Flush(flushToDisk: true);
            }

            if (File.Exists(Path))
            {
                File.Move(Path, PreviousPath, overwrite: true);
            }

            File.Move(temporary, Path, overwrite: false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(ex, Path, ex.Message);
            TryDelete(temporary);
            return false;
        }
    }

    private static bool TryRead(string path, out Checkpoint? checkpoint, out string? problem)
    {
        checkpoint = null;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
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
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"it cannot be read ({ex.Message})";
        }

        return false;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: a stray temporary file is overwritten by the next write.
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Could not write the checkpoint {Path}: {Reason}; the last good checkpoint is intact and the next write will try again")]
    private partial void LogWriteFailed(Exception exception, string path, string reason);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "The checkpoint {Path} cannot be used ({Reason}); continuing from the previous one, {Previous}")]
    private partial void LogFallback(string path, string reason, string previous);
}

/// <summary>The JSON form of checkpoints.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Checkpoint))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext
{
}
