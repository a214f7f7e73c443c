using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Scaling;

namespace StreamingClusters.Cluster.Tests;

public sealed class ModelStateCodecTests
{
    [Fact]
    public void Write_EveryOptionalFieldSet_ReadBackEqual()
    {
        StreamingModelState state = Full();

        StreamingModelState read = ModelStateCodec.Read(new ModelStateCodec().Write(state));

        // The JSON of the checkpoint writes every public field: equal JSON is equal values.
        Assert.Equal(Json(state), Json(read));
        Assert.NotNull(read.Scaling);
        Assert.NotNull(read.Mixture);
        Assert.NotNull(read.Model.RepairGroup);
        Assert.Equal(state.LastApplied, read.LastApplied);
        Assert.Equal(state.LastApplied!.Value.Offset, read.LastApplied!.Value.Offset);
    }

    [Fact]
    public void Write_EveryOptionalFieldNull_ReadBackNull()
    {
        StreamingModelState state = Full() with { LastApplied = null, Mixture = null, Scaling = null };
        state = state with
        {
            Model = state.Model with
            {
                Ids = null, RecentEvents = null, HeldUntil = null, FedWeights = null, RepairLeastUtility = null,
                RepairSpreadMisses = null, RepairSpreadResumes = null, RepairGroup = null,
            },
        };

        StreamingModelState read = ModelStateCodec.Read(new ModelStateCodec().Write(state));

        Assert.Equal(Json(state), Json(read));
        Assert.Null(read.Model.Ids);
        Assert.Null(read.Model.RecentEvents);
        Assert.Null(read.Model.RepairSpreadMisses);
        Assert.Null(read.Scaling);
    }

    [Fact]
    public void Write_NegativeZeroAndNaN_SameBits()
    {
        StreamingModelState state = Full();
        double nan = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0123);
        state.Model.Centroids[0] = -0.0;
        state.Model.Centroids[1] = nan;
        state.Model.Centroids[2] = double.Epsilon;

        StreamingModelState read = ModelStateCodec.Read(new ModelStateCodec().Write(state));

        Assert.Equal(
            state.Model.Centroids.Select(BitConverter.DoubleToInt64Bits),
            read.Model.Centroids.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Read_StateWrittenAsJson_ReadAsBefore()
    {
        StreamingModelState state = Full();

        StreamingModelState read = ModelStateCodec.Read(ModelStateJson.Write(state));

        Assert.Equal(Json(state), Json(read));
    }

    [Fact]
    public void Write_EventsChangedBetweenWrites_SecondWriteHasTheNewEvents()
    {
        var codec = new ModelStateCodec();
        StreamingModelState first = Full();
        ClusterEvent added = new(ClusterEventKind.Reseeded, 9, 1, 4, 8, "starved: weight 0.001 < 1 % of the mean");
        StreamingModelState second = first with { Model = first.Model with { RecentEvents = [.. first.Model.RecentEvents!, added], Version = 9 } };
        StreamingModelState third = second with { Model = second.Model with { RecentEvents = [.. second.Model.RecentEvents!.Skip(1)] } };

        byte[] one = codec.Write(first);
        byte[] two = codec.Write(second);
        byte[] again = codec.Write(second);
        byte[] three = codec.Write(third);

        Assert.Equal(Json(first), Json(ModelStateCodec.Read(one)));
        Assert.Equal(Json(second), Json(ModelStateCodec.Read(two)));
        Assert.Equal(two, again);
        Assert.Equal(Json(third), Json(ModelStateCodec.Read(three)));
    }

    [Fact]
    public void Read_CutShortOrUnknownFormat_FormatException()
    {
        byte[] bytes = new ModelStateCodec().Write(Full());

        Assert.Throws<FormatException>(() => ModelStateCodec.Read(bytes.AsSpan(0, bytes.Length - 3)));
        Assert.Throws<FormatException>(() => ModelStateCodec.Read([.. bytes, 0]));
        Assert.Throws<FormatException>(() => ModelStateCodec.Read([9, .. bytes.AsSpan(1)]));
        Assert.Throws<FormatException>(() => ModelStateCodec.Read([]));
    }

    /// <summary>
    /// The fields the codec writes, type by type: a field added to the model's state fails this test until
    /// the codec writes it (and this list names it).
    /// </summary>
    [Theory]
    [InlineData(typeof(StreamingModelState), "Counts,LastApplied,Mixture,Model,Scaling")]
    [InlineData(typeof(ClusterModelState), "Centroids,FedWeights,HeldUntil,Ids,Inertia,NextId,PointsApplied,RandomState,RecentEvents,RepairGroup,RepairLeastUtility,RepairSpreadMisses,RepairSpreadResumes,Seeded,Settings,Version,Weights")]
    [InlineData(typeof(ModelSettings), "BreathingDepth,Clusters,Dimensions,RefineIterations,Repair,RepairEvery,RepairHold,ReseedRatio,Seed,SeedingBreaths,SeedingCandidates,SeedingStarts")]
    [InlineData(typeof(ArrivingGroupState), "Error,Mean,PastCentroid,PastInertia,PastStartWeight,PastWeight,Slot,Weight")]
    [InlineData(typeof(ClusterEvent), "FromId,Kind,NewId,OldId,Reason,Slot,Version")]
    [InlineData(typeof(MixtureState), "LogLikelihood,LogLikelihoodWeight,Priors,VarianceFloor,Variances")]
    [InlineData(typeof(ColumnScalingState), "Mean,Std")]
    public void Codec_KnowsEveryPublicField(Type type, string written)
    {
        string actual = string.Join(',', type.GetProperties().Where(p => p.GetMethod!.IsPublic && p.SetMethod is not null).Select(p => p.Name).Order(StringComparer.Ordinal));

        Assert.Equal(written, actual);
    }

    private static string Json(StreamingModelState state) => System.Text.Encoding.UTF8.GetString(ModelStateJson.Write(state));

    /// <summary>A state with every optional field set and values that are not round in decimal.</summary>
    private static StreamingModelState Full()
    {
        const int k = 3, d = 2;
        var random = new Random(5);
        double[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (random.NextDouble() - 0.3) * 1e3 / 7)];
        return new StreamingModelState
        {
            Model = new ClusterModelState
            {
                Settings = new ModelSettings(k, d)
                {
                    Seed = ulong.MaxValue - 3, ReseedRatio = 0.037, Repair = true, RepairEvery = 5, RepairHold = 17, SeedingCandidates = 9,
                    RefineIterations = 4, SeedingStarts = 2, SeedingBreaths = 11, BreathingDepth = 6,
                },
                Version = 123_456_789_012,
                Seeded = true,
                Centroids = Values(k * d),
                Weights = Values(k),
                Inertia = Values(k),
                PointsApplied = 987_654_321,
                Ids = [4, 7, 9],
                NextId = 10,
                RecentEvents =
                [
                    new ClusterEvent(ClusterEventKind.Seeded, 1, 0, null, 1, "seeded"),
                    new ClusterEvent(ClusterEventKind.Removed, 6, 2, 3, null, "least utility 0.25 — ünïcode ✓"),
                    new ClusterEvent(ClusterEventKind.SplitOff, 6, 2, null, 9, "split") { FromId = 7 },
                ],
                HeldUntil = [0, 22, 5],
                FedWeights = Values(k),
                RepairLeastUtility = 0.1 / 3,
                RepairSpreadMisses = 2,
                RepairSpreadResumes = 40,
                RepairGroup = new ArrivingGroupState
                {
                    Slot = 1, PastCentroid = Values(d), PastWeight = 1.0 / 3, PastStartWeight = 2.0 / 3, PastInertia = 5.0 / 7,
                    Mean = Values(d), Weight = 11.0 / 13, Error = 17.0 / 19,
                },
                RandomState = [1, ulong.MaxValue, 0x1234_5678_9ABC_DEF0, 42],
            },
            Counts = [5, 0, long.MaxValue],
            LastApplied = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromMinutes(90)).AddTicks(1234),
            Mixture = new MixtureState { Variances = Values(k * d), Priors = Values(k), VarianceFloor = Values(d), LogLikelihood = -1234.5 / 7, LogLikelihoodWeight = 98.7 / 3 },
            Scaling = new ColumnScalingState(Values(d), Values(d)),
        };
    }
}
