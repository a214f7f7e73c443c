using StreamingClusters.Model;
using StreamingClusters.Publishing;

namespace StreamingClusters.Worker.Tests;

/// <summary>
/// The warm-up's sample snapshot goes through every part of the snapshot JSON (each list non-empty), so
/// the final write finds the serializer ready, and it reads back as written.
/// </summary>
public sealed class SnapshotJsonWarmUpTests
{
    [Fact]
    public void Sample_SerialisedAndReadBack_KeepsEveryListAndValue()
    {
        CentroidSnapshot sample = SnapshotJsonWarmUp.Sample();

        CentroidSnapshot read = SnapshotJson.Deserialize(SnapshotJson.Serialize(sample, indented: true));

        Assert.Equal(sample.Centroids.Select(c => c.ToArray()), read.Centroids.Select(c => c.ToArray()));
        Assert.Equal(sample.Weights, read.Weights);
        Assert.Equal(sample.Counts, read.Counts);
        Assert.Equal(sample.Reseeds, read.Reseeds);
        Assert.Equal(sample.Sources, read.Sources);
        Assert.True(read.IsFinal);
        Assert.All([sample.Centroids.Count, sample.Weights.Count, sample.Counts.Count, sample.Reseeds.Count, sample.Sources.Count], n => Assert.True(n > 0));
    }
}
