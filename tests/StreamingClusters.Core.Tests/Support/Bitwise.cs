using System.Runtime.InteropServices;
using StreamingClusters.Model;

namespace StreamingClusters.Tests.Support;

/// <summary>Bit-for-bit comparisons: equal doubles are not enough where the claim is determinism.</summary>
internal static class Bitwise
{
    public static bool Equal(ReadOnlySpan<double> a, ReadOnlySpan<double> b) =>
        MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));

    public static bool Equal(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b));

    public static void AssertEqual(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}.");
            }
        }
    }

    public static void AssertEqual(ClusterModelState expected, ClusterModelState actual)
    {
        Assert.Equal(expected.Settings, actual.Settings);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Seeded, actual.Seeded);
        Assert.Equal(expected.PointsApplied, actual.PointsApplied);
        Assert.Equal(expected.RandomState, actual.RandomState);
        AssertEqual(expected.Centroids, actual.Centroids, "Centroids");
        AssertEqual(expected.Weights, actual.Weights, "Weights");
        AssertEqual(expected.Inertia, actual.Inertia, "Inertia");
    }

    public static bool Equal(ClusterModelState a, ClusterModelState b) =>
        a.Settings == b.Settings
        && a.Version == b.Version
        && a.Seeded == b.Seeded
        && a.PointsApplied == b.PointsApplied
        && a.RandomState.AsSpan().SequenceEqual(b.RandomState)
        && Equal(a.Centroids, b.Centroids)
        && Equal(a.Weights, b.Weights)
        && Equal(a.Inertia, b.Inertia);
}
