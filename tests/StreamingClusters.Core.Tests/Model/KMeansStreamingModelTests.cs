using StreamingClusters.EStep;
using StreamingClusters.MStep;
using StreamingClusters.Model;
using StreamingClusters.Randomness;
using StreamingClusters.Statistics;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Model;

/// <summary>The streaming model driven batch by batch, against a <see cref="ClusterModel"/> driven by hand.</summary>
public sealed class KMeansStreamingModelTests
{
    private const int K = 3;
    private const int D = 2;
    private const int BufferSize = 60;

    /// <summary>Larger than any batch here: one shard, so a hand-driven E-step gives the same bits.</summary>
    private const int ShardSize = 4096;
    private const int MaxBatch = 200;

    private static readonly ModelSettings Settings = new(K, D) { Seed = 5, RefineIterations = 2 };
    private static readonly double[] Means = [0, 0, 20, 0, 0, 20];

    private static KMeansStreamingModel CreateSut(TimeProvider? clock = null, HalfLife? halfLife = null, double[]? centroids = null) =>
        KMeansStreamingModel.Create(Settings, Options(halfLife), Runner(), clock ?? new ManualClock(), centroids);

    private static StreamingModelOptions Options(HalfLife? halfLife = null) =>
        new() { SeedingBufferSize = BufferSize, HalfLife = halfLife ?? HalfLife.None };

    private static SerialEStep<HardEStepWork, ClusterStatistics> Runner() => new(K, D, ShardSize, MaxBatch);

    private static float[] Points(int count, ulong seed) => GeneratedData.SeparatedPoints(new ModelRandom(seed), Means, K, count, spread: 1.5);

    [Fact]
    public void Step_BeforeTheBufferFills_BuffersWithoutSeeding()
    {
        KMeansStreamingModel sut = CreateSut();

        ModelStep step = sut.Step(Points(40, 1), 40);

        Assert.Equal(new ModelStep(ModelStepKind.Buffered, 40, false, null, null), step);
        Assert.False(sut.IsSeeded);
        Assert.Null(sut.Current);
        Assert.Equal(40, sut.BufferedPoints);
    }

    [Fact]
    public void Step_BufferFills_SeedsAndAppliesTheWholeBufferAsOneBatch()
    {
        float[] points = Points(80, 2);
        KMeansStreamingModel sut = CreateSut();

        sut.Step(points[..(40 * D)], 40);
        ModelStep step = sut.Step(points[(40 * D)..], 40);

        var expected = new ClusterModel(Settings);
        expected.Seed(points);
        Streaming.Step(expected, points);
        Assert.Equal(ModelStepKind.Applied, step.Kind);
        Assert.True(step.Seeded);
        Assert.Equal(80, step.Points);
        Assert.Equal(1, step.Update!.Version);
        Assert.Equal(0, sut.BufferedPoints);
        Bitwise.AssertEqual(expected.ToState(), sut.ToState().Model);
        Assert.Equal(80, sut.Counts.ToArray().Sum());
        Assert.Equal(points, sut.StepPoints.ToArray());
        Assert.Equal(80, sut.StepLabels.Length);
    }

    [Fact]
    public void Step_Seeded_EachBatchIsOneMStepAndCountsAddUp()
    {
        double[] centroids = [1, 1, 19, 1, 1, 19];
        KMeansStreamingModel sut = CreateSut(halfLife: HalfLife.InBatches(2), centroids: centroids);
        var expected = new ClusterModel(Settings);
        expected.SetCentroids(centroids);
        var counts = new long[K];

        for (int b = 0; b < 3; b++)
        {
            float[] batch = Points(50, (ulong)(10 + b));
            var statistics = new ClusterStatistics(K, D);
            HardEStep.Accumulate(expected.Current, batch, statistics);
            expected.Apply(statistics, b == 0 ? 1 : HalfLife.InBatches(2).Discount(50, TimeSpan.Zero), batch);
            for (int c = 0; c < K; c++)
            {
                counts[c] += statistics.Counts[c];
            }

            ModelStep step = sut.Step(batch, 50);

            Assert.Equal(b + 1, step.Update!.Version);
        }

        Bitwise.AssertEqual(expected.ToState(), sut.ToState().Model);
        Assert.Equal(counts, sut.Counts.ToArray());
        Assert.Same(sut.Current, sut.Current);
        Assert.Equal(3, sut.Current!.Version);
    }

    [Fact]
    public void Step_UpdateWouldBeNonFinite_RefusedAndTheModelStaysAsItWas()
    {
        KMeansStreamingModel sut = CreateSut(centroids: [0, 0, 1, 1, 2, 2]);
        sut.Step([0.5f, 0.5f, 1f, 2f], 2);
        StreamingModelState before = sut.ToState();
        float[] wild = [3e38f, 3e38f];

        ModelStep step = sut.Step(wild, 1);

        Assert.Equal(ModelStepKind.Refused, step.Kind);
        Assert.IsType<NonFiniteModelException>(step.Refusal);
        Assert.Null(step.Update);
        Bitwise.AssertEqual(before.Model, sut.ToState().Model);
        Assert.Equal(before.Counts, sut.Counts.ToArray());
        Assert.Equal(wild, sut.StepPoints.ToArray());
        Assert.True(sut.StepLabels.IsEmpty);
    }

    [Fact]
    public void Step_TimeHalfLife_TheDiscountFollowsTheClock()
    {
        var clock = new ManualClock();
        KMeansStreamingModel sut = CreateSut(clock, HalfLife.InTime(TimeSpan.FromSeconds(10)), centroids: [1, 1, 19, 1, 1, 19]);

        ModelStep first = sut.Step(Points(20, 3), 20);
        clock.Advance(TimeSpan.FromSeconds(10));
        ModelStep second = sut.Step(Points(20, 4), 20);

        Assert.Equal(1.0, first.Update!.Discount);
        Assert.Equal(0.5, second.Update!.Discount, 12);
        Assert.Equal(clock.GetUtcNow(), sut.ToState().LastApplied);
    }

    [Fact]
    public void Step_Reseed_TheNewClustersCountStartsFromZero()
    {
        // The third centroid gets one point of 200: starved, it is reseeded on a recent point, and the
        // cluster started in its slot has had no point yet.
        KMeansStreamingModel sut = CreateSut(centroids: [0, 0, 20, 0, 1000, 1000]);
        float[] batch = [.. Points(199, 12), 1000, 1000];

        ModelStep step = sut.Step(batch, 200);

        ReseedEvent reseed = Assert.Single(step.Update!.Reseeds);
        Assert.Equal(2, reseed.Cluster);
        Assert.Equal(1, reseed.PreviousWeight);
        Assert.Equal(0, sut.Counts[2]);
        Assert.Equal(3, sut.Ids[2]);
        Assert.Equal(199, sut.Counts[0] + sut.Counts[1]);
    }

    [Fact]
    public void Flush_StreamEndedInsideTheBuffer_SeedsOnWhatWasBuffered()
    {
        KMeansStreamingModel sut = CreateSut();
        sut.Step(Points(30, 5), 30);

        ModelStep? step = sut.Flush();

        Assert.NotNull(step);
        Assert.True(step.Value.Seeded);
        Assert.Equal(30, step.Value.Points);
        Assert.True(sut.IsSeeded);
        Assert.Null(sut.Flush());
    }

    [Fact]
    public void DropBuffered_Unseeded_DropsThePointsAndSaysHowMany()
    {
        KMeansStreamingModel sut = CreateSut();
        sut.Step(Points(30, 6), 30);

        Assert.Equal(30, sut.DropBuffered());

        Assert.Equal(0, sut.BufferedPoints);
        Assert.Null(sut.Flush());
    }

    [Fact]
    public void Restore_FromItsState_GoesOnAsTheUninterruptedModel()
    {
        var clock = new ManualClock();
        HalfLife halfLife = HalfLife.InTime(TimeSpan.FromSeconds(5));
        KMeansStreamingModel uninterrupted = CreateSut(clock, halfLife);
        uninterrupted.Step(Points(70, 7), 70);
        clock.Advance(TimeSpan.FromSeconds(3));
        uninterrupted.Step(Points(50, 8), 50);

        KMeansStreamingModel restored = KMeansStreamingModel.Restore(uninterrupted.ToState(), Settings, Options(halfLife), Runner(), clock);
        clock.Advance(TimeSpan.FromSeconds(2));
        float[] next = Points(50, 9);
        uninterrupted.Step(next, 50);
        restored.Step(next, 50);

        StreamingModelState expected = uninterrupted.ToState();
        StreamingModelState actual = restored.ToState();
        Bitwise.AssertEqual(expected.Model, actual.Model);
        Assert.Equal(expected.Counts, actual.Counts);
        Assert.Equal(expected.LastApplied, actual.LastApplied);
    }
}
