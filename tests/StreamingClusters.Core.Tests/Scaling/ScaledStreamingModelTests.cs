using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Scaling;
using StreamingClusters.Seeding;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Scaling;

/// <summary>A k-means model behind the scaling: learnt from the seeding buffer, fixed, and invisible in the input's units.</summary>
public sealed class ScaledStreamingModelTests
{
    private const int BufferSize = 1000;
    private const int BatchSize = 500;

    private static IStreamingModel KMeans(int clusters, int dimensions, ulong seed) =>
        KMeansStreamingModel.Create(
            new ModelSettings(clusters, dimensions) { Seed = seed, RefineIterations = 3 },
            new StreamingModelOptions { SeedingBufferSize = BufferSize },
            new SerialEStep<HardEStepWork, ClusterStatistics>(clusters, dimensions, 256, BufferSize + BatchSize),
            new ManualClock());

    private static ScaledStreamingModel CreateSut(int clusters, int dimensions, ulong seed = 1) =>
        new(KMeans(clusters, dimensions, seed), BufferSize);

    private static void StepAll(IStreamingModel model, float[] points)
    {
        int d = model.Dimensions;
        for (int start = 0; start < points.Length; start += BatchSize * d)
        {
            int count = Math.Min(BatchSize, (points.Length - start) / d);
            model.Step(points[start..(start + (count * d))], count);
        }

        model.Flush();
    }

    private static int[] Labels(IStreamingModel model, float[] points)
    {
        int n = points.Length / model.Dimensions;
        var labels = new int[n];
        model.Score(points, labels, new float[n]);
        return labels;
    }

    [Fact]
    public void MixedUnits_Standardized_ClustersMatchTheTrueModes()
    {
        (float[] points, int[] modes) = SensorModes.Generate(20_000, seed: 11);
        ScaledStreamingModel sut = CreateSut(SensorModes.Modes, SensorModes.Columns);

        StepAll(sut, points);

        double ari = AdjustedRandIndex.Of(modes, Labels(sut, points));
        Assert.True(ari >= 0.95, $"ARI {ari:F3} with standardized columns.");
    }

    [Fact]
    public void MixedUnits_Raw_TheNoisyColumnDecidesAndClustersMissTheModes()
    {
        (float[] points, int[] modes) = SensorModes.Generate(20_000, seed: 11);
        IStreamingModel sut = KMeans(SensorModes.Modes, SensorModes.Columns, seed: 1);

        StepAll(sut, points);

        double ari = AdjustedRandIndex.Of(modes, Labels(sut, points));
        Assert.True(ari < 0.2, $"ARI {ari:F3} with raw columns.");
    }

    [Fact]
    public void Centroids_TwoBlobsInMixedUnits_AreTheBlobCentresInInputUnits()
    {
        double[] centres = [10, 5_000, -10, 9_000];
        float[] points = GeneratedData.SeparatedPoints(new ModelRandom(3), centres, 2, 6_000, spread: 1.0);
        ScaledStreamingModel sut = CreateSut(2, 2);

        StepAll(sut, points);

        double[] found = sut.Centroids.ToArray();
        int first = found[0] > 0 ? 0 : 1;
        Assert.Equal(10, found[(2 * first) + 0], 0.1);
        Assert.Equal(5_000, found[(2 * first) + 1], 0.1);
        Assert.Equal(-10, found[(2 * (1 - first)) + 0], 0.1);
        Assert.Equal(9_000, found[(2 * (1 - first)) + 1], 0.1);
    }

    [Fact]
    public void Score_PointsInInputUnits_NearestBlobAndSquaredDistanceInTheScaledSpace()
    {
        double[] centres = [10, 5_000, -10, 9_000];
        float[] points = GeneratedData.SeparatedPoints(new ModelRandom(3), centres, 2, 6_000, spread: 1.0);
        ScaledStreamingModel sut = CreateSut(2, 2);
        StepAll(sut, points);
        double[] found = sut.Centroids.ToArray();
        int first = found[0] > 0 ? 0 : 1;

        var labels = new int[2];
        var scores = new float[2];
        sut.Score([10, 5_000, -10, 9_000 + 1_000], labels, scores);

        Assert.Equal([first, 1 - first], labels);
        Assert.Equal(0, scores[0], 1e-3);
        double std = sut.Scaling!.Std[1];
        Assert.Equal(1_000 / std * (1_000 / std), scores[1], 1e-3);
    }

    [Fact]
    public void StepPoints_AfterSeedingAndAfterABatch_AreTheCallersPointsInInputUnits()
    {
        (float[] points, _) = SensorModes.Generate(BufferSize + BatchSize, seed: 2);
        ScaledStreamingModel sut = CreateSut(SensorModes.Modes, SensorModes.Columns);
        float[] seeding = points[..(BufferSize * SensorModes.Columns)];
        float[] batch = points[(BufferSize * SensorModes.Columns)..];

        ModelStep seeded = sut.Step(seeding, BufferSize);
        Assert.True(seeded.Seeded);
        Assert.Equal(seeding, sut.StepPoints.ToArray());

        sut.Step(batch, BatchSize);
        Assert.Equal(batch, sut.StepPoints.ToArray());
        Assert.Equal(BatchSize, sut.StepLabels.Length);
    }

    [Fact]
    public void Flush_FewerPointsThanTheBuffer_LearnsTheScalingFromThemAndSeeds()
    {
        (float[] points, _) = SensorModes.Generate(300, seed: 2);
        ScaledStreamingModel sut = CreateSut(SensorModes.Modes, SensorModes.Columns);

        Assert.Equal(ModelStepKind.Buffered, sut.Step(points, 300).Kind);
        Assert.Equal(300, sut.BufferedPoints);
        Assert.Null(sut.Scaling);
        ModelStep? step = sut.Flush();

        Assert.Equal(ModelStepKind.Applied, step!.Value.Kind);
        Assert.Equal(300, step.Value.Points);
        Assert.True(sut.IsSeeded);
        Assert.Equal(ColumnScaling.Fit(points, SensorModes.Columns).Mean.ToArray(), sut.Scaling!.Mean.ToArray());
        Assert.Equal(points, sut.StepPoints.ToArray());
    }

    [Fact]
    public void Scaling_AfterSeeding_StaysFixedWhateverComesNext()
    {
        (float[] points, _) = SensorModes.Generate(BufferSize, seed: 2);
        ScaledStreamingModel sut = CreateSut(SensorModes.Modes, SensorModes.Columns);
        sut.Step(points, BufferSize);
        double[] mean = sut.Scaling!.Mean.ToArray();

        float[] shifted = Array.ConvertAll(points[..(BatchSize * SensorModes.Columns)], v => v + 1_000);
        sut.Step(shifted, BatchSize);

        Assert.Equal(mean, sut.Scaling!.Mean.ToArray());
    }

    [Fact]
    public void ToState_RestoredWithItsScaling_GoesOnBitForBit()
    {
        (float[] points, _) = SensorModes.Generate(BufferSize + (4 * BatchSize), seed: 5);
        int d = SensorModes.Columns;
        ScaledStreamingModel sut = CreateSut(SensorModes.Modes, d);
        sut.Step(points[..(BufferSize * d)], BufferSize);
        StreamingModelState state = sut.ToState();

        var restored = new ScaledStreamingModel(
            KMeansStreamingModel.Restore(
                state,
                new ModelSettings(SensorModes.Modes, d) { Seed = 1, RefineIterations = 3 },
                new StreamingModelOptions { SeedingBufferSize = BufferSize },
                new SerialEStep<HardEStepWork, ClusterStatistics>(SensorModes.Modes, d, 256, BufferSize + BatchSize),
                new ManualClock()),
            BufferSize,
            ColumnScaling.FromState(state.Scaling!));
        float[] rest = points[(BufferSize * d)..];
        StepAll(sut, rest);
        StepAll(restored, rest);

        Assert.NotNull(state.Scaling);
        Assert.Equal(sut.Centroids.ToArray(), restored.Centroids.ToArray());
        Assert.Equal(sut.Inertia.ToArray(), restored.Inertia.ToArray());
    }

    [Fact]
    public void Step_FullBufferOfTooFewDistinctPoints_KeptUnscaledThenLearntFromTheLargerBuffer()
    {
        float[] same = [.. Enumerable.Repeat(new float[] { 1, 2 }, BufferSize).SelectMany(p => p)];
        ScaledStreamingModel sut = CreateSut(3, 2);

        Assert.Throws<InsufficientDistinctPointsException>(() => sut.Step(same, BufferSize));
        Assert.Null(sut.Scaling);
        Assert.Equal(BufferSize, sut.BufferedPoints);
        Assert.Equal(0, sut.PointsToSeed);

        float[] more = GeneratedData.SeparatedPoints(new ModelRandom(3), [0, 0, 10, 0, 0, 10], 3, 300, spread: 1.0);
        ModelStep step = sut.Step(more, 300);

        Assert.True(step.Seeded);
        Assert.Equal(BufferSize + 300, step.Points);
        Assert.Equal(ColumnScaling.Fit([.. same, .. more], 2).Std.ToArray(), sut.Scaling!.Std.ToArray());
    }

    [Fact]
    public void ToState_BeforeSeeding_HasNoScaling()
    {
        ScaledStreamingModel sut = CreateSut(2, 2);

        sut.Step([1, 2, 3, 4], 2);

        Assert.Null(sut.ToState().Scaling);
    }

    [Fact]
    public void Constructor_SeededModelWithoutItsScaling_Refused()
    {
        IStreamingModel seeded = KMeansStreamingModel.Create(
            new ModelSettings(2, 2),
            new StreamingModelOptions { SeedingBufferSize = BufferSize },
            new SerialEStep<HardEStepWork, ClusterStatistics>(2, 2, 256, BufferSize + BatchSize),
            new ManualClock(),
            [0, 0, 1, 1]);

        ArgumentException error = Assert.Throws<ArgumentException>(() => new ScaledStreamingModel(seeded, BufferSize));

        Assert.StartsWith("A model that has parameters or buffered points needs the scaling they were made in.", error.Message, StringComparison.Ordinal);
    }
}
