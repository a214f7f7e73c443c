using System.Text.Json;
using StreamingClusters.Mqtt;
using StreamingClusters.Publishing;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>The assignment message carries each point's score: the squared distance for k-means, the log-likelihood for a mixture.</summary>
public sealed class MqttAssignmentJsonTests
{
    [Fact]
    public void Serialize_KMeansBlock_WritesSquaredDistances()
    {
        AssignmentBlock block = Block(squaredDistances: [0.5f, 2f], logLikelihoods: []);

        using JsonDocument json = JsonDocument.Parse(MqttPublisher.Serialize(block));

        Assert.Equal(2, json.RootElement.GetProperty("dimensions").GetInt32());
        Assert.Equal([0.5f, 2f], json.RootElement.GetProperty("squaredDistances").EnumerateArray().Select(e => e.GetSingle()));
        Assert.False(json.RootElement.TryGetProperty("logLikelihoods", out _));
    }

    [Fact]
    public void Serialize_MixtureBlock_WritesLogLikelihoods()
    {
        AssignmentBlock block = Block(squaredDistances: [], logLikelihoods: [-1.25f, -7.5f]);

        using JsonDocument json = JsonDocument.Parse(MqttPublisher.Serialize(block));

        Assert.Equal([-1.25f, -7.5f], json.RootElement.GetProperty("logLikelihoods").EnumerateArray().Select(e => e.GetSingle()));
        Assert.False(json.RootElement.TryGetProperty("squaredDistances", out _));
        Assert.Equal([1, 0], json.RootElement.GetProperty("clusters").EnumerateArray().Select(e => e.GetInt32()));
    }

    private static AssignmentBlock Block(float[] squaredDistances, float[] logLikelihoods) => new()
    {
        Sequence = 1,
        Version = 3,
        Dimensions = 2,
        Points = new float[] { 1f, 2f, 3f, 4f },
        Clusters = new[] { 1, 0 },
        SquaredDistances = squaredDistances,
        LogLikelihoods = logLikelihoods,
    };
}
