using System.Text;
using StreamingClusters.Models;

namespace StreamingClusters.Tests.Models;

public sealed class ModelSettingsTests
{
    [Fact]
    public void FromJson_NestedObjectsAndArrays_BecomeConfigurationKeys()
    {
        ModelOverrides sut = ModelOverrides.FromJson("""{"Clusters": 3, "Repair": false, "Seeding": {"BufferSize": 500}, "InitialCentroids": [[0, 1.5], [2, 3]], "HalfLife": "10m"}"""u8);

        Assert.Equal(
            [
                new("Clusters", "3"), new("HalfLife", "10m"), new("InitialCentroids:0:0", "0"), new("InitialCentroids:0:1", "1.5"),
                new("InitialCentroids:1:0", "2"), new("InitialCentroids:1:1", "3"), new("Repair", "false"), new("Seeding:BufferSize", "500"),
            ],
            sut.Values.ToArray<KeyValuePair<string, string?>>());
    }

    [Fact]
    public void Equals_KeysInAnyCaseAndNumbersAsStrings_AreTheSameSettings()
    {
        ModelOverrides a = ModelOverrides.FromJson("""{"Clusters": 3, "HalfLife": "50batches"}"""u8);
        ModelOverrides b = ModelOverrides.FromJson("""{"halflife": "50batches", "clusters": "3"}"""u8);
        ModelOverrides c = ModelOverrides.FromJson("""{"Clusters": 4, "HalfLife": "50batches"}"""u8);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, ModelOverrides.Empty);
    }

    [Fact]
    public void ToJson_ReadBack_GivesTheSameSettings()
    {
        ModelOverrides sut = ModelOverrides.FromJson("""{"Clusters": 3, "Seeding": {"BufferSize": 500}, "InitialCentroids": [[0, 1.5]]}"""u8);

        Assert.Equal(sut, ModelOverrides.FromJson(sut.ToJson()));
    }

    [Theory]
    [InlineData("[1, 2]", "The settings must be a JSON object of settings, not array.")]
    [InlineData("{\"Clusters\": 3, \"clusters\": 4}", "The setting 'clusters' is given twice.")]
    public void FromJson_NotAnObjectOrAKeyTwice_FormatException(string json, string expected)
    {
        FormatException ex = Assert.Throws<FormatException>(() => ModelOverrides.FromJson(Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_TheServicesSettingsAndUnknownKeys_NamedUnderTheSection()
    {
        ModelOverrides sut = ModelOverrides.FromJson("""{"Clusters": 3, "Sources": [{"Path": "a.csv"}], "Checkpoint": {"Path": "x"}, "Clusterz": 1}"""u8);

        string[] problems = [.. sut.Problems("StreamingClusters:Models:m")];

        Assert.Equal(3, problems.Length);
        Assert.StartsWith("StreamingClusters:Models:m:Checkpoint:Path is not a setting a model has of its own: give Clusters, Dimensions", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("StreamingClusters:Models:m:Clusterz is not", problems[1], StringComparison.Ordinal);
        Assert.StartsWith("StreamingClusters:Models:m:Sources:0:Path is not", problems[2], StringComparison.Ordinal);
    }
}
