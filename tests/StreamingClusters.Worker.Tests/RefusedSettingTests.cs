namespace StreamingClusters.Worker.Tests;

public sealed class RefusedSettingTests
{
    [Theory]
    [InlineData("Clusters: The field StreamingClustersOptions.Clusters must be between 1 and 65536.", "StreamingClusters:Clusters must be between 1 and 65536.")]
    [InlineData("BufferSize: The field StreamingClustersOptions.Seeding.BufferSize must be between 1 and 16777216.", "StreamingClusters:Seeding:BufferSize must be between 1 and 16777216.")]
    [InlineData("ReseedRatio: StreamingClusters:ReseedRatio must be in [0, 1) (got 2).", "StreamingClusters:ReseedRatio must be in [0, 1) (got 2).")]
    [InlineData("StreamingClusters:Sources:0:Path 'x' does not exist.", "StreamingClusters:Sources:0:Path 'x' does not exist.")]
    [InlineData("StreamingClusters:Models:plant-7: Clusters: The field StreamingClustersOptions.Clusters must be between 1 and 65536.", "StreamingClusters:Models:plant-7:Clusters must be between 1 and 65536.")]
    [InlineData("StreamingClusters:Models:plant-7: HalfLife: StreamingClusters:HalfLife 'x' is not a half-life.", "StreamingClusters:Models:plant-7:HalfLife 'x' is not a half-life.")]
    public void Describe_ValidatorText_NamesTheSettingByItsKeyOnce(string failure, string expected) =>
        Assert.Equal(expected, RefusedSetting.Describe(failure));
}
