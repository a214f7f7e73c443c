using Orleans.Serialization;
using Orleans.Storage;

namespace StreamingClusters.Cluster.Grains;

/// <summary>
/// The model grains' storage serializer: Orleans' binary serializer behind a short marker, in place of
/// the Redis storage's default (Newtonsoft JSON, in which the model's bytes became base64 and every
/// seeding value a decimal number). A state written as JSON by an earlier version (it starts with '{')
/// is still read, with the JSON serializer the silo registers by default.
/// </summary>
internal sealed class ModelStorageSerializer : IGrainStorageSerializer
{
    /// <summary>What the binary form starts with; JSON starts with '{'.</summary>
    private static readonly byte[] Marker = "SCB1"u8.ToArray();

    private readonly OrleansGrainStorageSerializer _binary;
    private readonly IGrainStorageSerializer _json;

    /// <summary>Creates the serializer.</summary>
    /// <param name="serializer">Orleans' serializer.</param>
    /// <param name="json">The serializer of the states written before (Orleans' JSON grain storage serializer).</param>
    public ModelStorageSerializer(Serializer serializer, IGrainStorageSerializer json)
    {
        _binary = new OrleansGrainStorageSerializer(serializer);
        _json = json;
    }

    /// <inheritdoc/>
    public BinaryData Serialize<T>(T? value)
    {
        ReadOnlyMemory<byte> body = _binary.Serialize(value).ToMemory();
        byte[] data = new byte[Marker.Length + body.Length];
        Marker.CopyTo(data, 0);
        body.Span.CopyTo(data.AsSpan(Marker.Length));
        return new BinaryData(data);
    }

    /// <inheritdoc/>
    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ReadOnlyMemory<byte> data = input.ToMemory();
        return data.Span.StartsWith(Marker)
            ? _binary.Deserialize<T>(new BinaryData(data[Marker.Length..]))
            : _json.Deserialize<T>(input);
    }
}
