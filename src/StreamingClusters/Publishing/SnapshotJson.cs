using System.Text.Json;
using System.Text.Json.Serialization;
using StreamingClusters.Model;

namespace StreamingClusters.Publishing;

/// <summary>The JSON form of snapshots: camelCase fields, numbers as numbers.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    WriteIndented = false,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CentroidSnapshot))]
[JsonSerializable(typeof(SourceTotals))]
[JsonSerializable(typeof(ReseedEvent))]
[JsonSerializable(typeof(ClusterEvent))]
public sealed partial class SnapshotJsonContext : JsonSerializerContext
{
}

/// <summary>Writes and reads snapshots as JSON.</summary>
public static class SnapshotJson
{
    /// <summary>Serialises a snapshot to UTF-8 JSON.</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="indented">Whether to indent for people.</param>
    /// <returns>The JSON bytes.</returns>
    public static byte[] Serialize(CentroidSnapshot snapshot, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        JsonSerializerContext context = indented ? Indented : SnapshotJsonContext.Default;
        return JsonSerializer.SerializeToUtf8Bytes(snapshot, context.GetTypeInfo(typeof(CentroidSnapshot))!);
    }

    /// <summary>Serialises a cluster event to UTF-8 JSON (its kind in camelCase: <c>seeded</c>, <c>reseeded</c>, <c>removed</c>, <c>splitOff</c>).</summary>
    /// <param name="clusterEvent">The event.</param>
    /// <returns>The JSON bytes.</returns>
    public static byte[] Serialize(ClusterEvent clusterEvent)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        return JsonSerializer.SerializeToUtf8Bytes(clusterEvent, SnapshotJsonContext.Default.ClusterEvent);
    }

    /// <summary>Reads a snapshot from JSON.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <returns>The snapshot.</returns>
    public static CentroidSnapshot Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, SnapshotJsonContext.Default.CentroidSnapshot)
        ?? throw new JsonException("The JSON holds no snapshot.");

    /// <summary>Writes a snapshot to a file atomically (temporary file, flush, rename).</summary>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the file is in place.</returns>
    public static async Task WriteFileAsync(CentroidSnapshot snapshot, string path, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await stream.WriteAsync(Serialize(snapshot, indented: true), cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, full, overwrite: true);
    }

    private static readonly SnapshotJsonContext Indented = new(new JsonSerializerOptions(SnapshotJsonContext.Default.Options) { WriteIndented = true });
}
