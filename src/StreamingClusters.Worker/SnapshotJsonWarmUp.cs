using StreamingClusters.Model;
using StreamingClusters.Publishing;

namespace StreamingClusters.Worker;

/// <summary>
/// Serialises a small throwaway snapshot on a thread of its own while the input is read, so that the
/// JSON serializer's metadata and converters (generic instantiations that ReadyToRun cannot hold, jitted
/// on first use: about 50 ms) are ready before the final snapshot file is written — otherwise that cost
/// falls between the end of the input and the end of the process. Nothing it builds is shared with the
/// run but the serializer's caches.
/// </summary>
internal static class SnapshotJsonWarmUp
{
    /// <summary>Starts the warm-up on a thread of its own (not the pool's, which start-up needs); it never throws.</summary>
    public static void Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "JSON warm-up" };
        thread.Start();
    }

    private static void Run()
    {
        try
        {
            CentroidSnapshot sample = Sample();
            _ = SnapshotJson.Serialize(sample, indented: true);
            _ = SnapshotJson.Serialize(sample);
        }
#pragma warning disable CA1031 // Only a cache warm-up: the real write reports its own errors.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The final write does the same work itself and surfaces any error there.
        }
    }

    /// <summary>A snapshot of the same shape as the pipeline's: every list non-empty so that each converter runs.</summary>
    internal static CentroidSnapshot Sample() => new()
    {
        Version = 1,
        Timestamp = DateTimeOffset.UnixEpoch,
        Clusters = 2,
        Dimensions = 2,
        Centroids = [[0.5, -1.25], [2, 3e-5]],
        Weights = [1, 2],
        Counts = [1, 2],
        Inertia = 1.5,
        MeanSquaredDistance = 0.75,
        BatchPoints = 3,
        PointsReceived = 3,
        PointsApplied = 3,
        PointsRejected = 0,
        Reseeds = [new ReseedEvent(1, 0.5, 1)],
        Sources = [new SourceTotals("warm-up", 3, 3, 0, 10)],
        IsFinal = true,
    };
}
