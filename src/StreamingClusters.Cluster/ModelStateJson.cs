using System.Text.Json;
using System.Text.Json.Serialization;
using StreamingClusters.Model;

namespace StreamingClusters.Cluster;

/// <summary>The model's state in JSON, as a model grain persists it: the checkpoint's shape and conventions.</summary>
internal static class ModelStateJson
{
    /// <summary>Writes a state.</summary>
    /// <param name="state">The state.</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] Write(StreamingModelState state) => JsonSerializer.SerializeToUtf8Bytes(state, ModelStateJsonContext.Default.StreamingModelState);

    /// <summary>Reads a state.</summary>
    /// <param name="json">UTF-8 JSON written by <see cref="Write"/>.</param>
    /// <returns>The state.</returns>
    public static StreamingModelState Read(byte[] json) =>
        JsonSerializer.Deserialize(json, ModelStateJsonContext.Default.StreamingModelState)
        ?? throw new JsonException("A model grain's persisted state is empty.");
}

/// <summary>The source-generated serialiser of <see cref="StreamingModelState"/>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StreamingModelState))]
internal sealed partial class ModelStateJsonContext : JsonSerializerContext;
