using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.Ingest;
using StreamingClusters.MStep;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;
using StreamingClusters.EStep;
using StreamingClusters.Model;
using StreamingClusters.Statistics;

namespace StreamingClusters.Benchmarks;

/// <summary>
/// The per-batch parts of one mini-batch step timed apart (d = 16, k = 64, B = 1024): the E-step with
/// statistics, the M-step (ClusterModel.Apply, which builds the next version's CentroidSet), and the
/// CentroidSet build alone, one merge of statistics, the writers' range check of a batch's values, the model stage's whole step
/// and its snapshot. Best of several chunks of this thread's CPU time, µs per batch; to locate per-batch costs.
/// Then the pipeline's parallel E-step of one batch at Parallelism 1 and 2, in wall-clock time (the
/// helper thread's share is part of it).
/// </summary>
internal static class PartsRun
{
    /// <param name="repair">Whether the model stage's model repairs (the default); `parts --no-repair` times it without.</param>
    public static void Run(bool repair = true)
    {
        const int D = 16, K = 64, B = 1024, Batches = 64;
        var data = new Shape(D, K, B * Batches, seed: 777);
        var model = new ClusterModel(new ModelSettings(K, D) { Seed = 1 });
        model.SetCentroids(data.Model.Centroids.ToArray().Select(v => (double)v).ToArray());
        var statistics = new ClusterStatistics(K, D);
        double[] centroids = model.Centroids.ToArray();
        int next = 0;
        ReadOnlySpan<float> Batch()
        {
            next = (next + 1) % Batches;
            return data.Points.AsSpan(next * B * D, B * D);
        }

        Time("e-step+statistics", () =>
        {
            statistics.Clear();
            HardEStep.Accumulate(model.Current, Batch(), statistics);
        });
        Time("e-step+statistics, points known bounded (the pipeline's)", () =>
        {
            statistics.Clear();
            HardEStep.Accumulate(model.Current, Batch(), statistics, default, default, pointsBounded: true);
        });
        var other = statistics.Clone();
        var into = new ClusterStatistics(K, D);
        Time("statistics Add (one shard merged)", () => into.Add(other));
        Time("m-step (Apply)", () => model.Apply(statistics, 1.0, Batch()));
        Time("m-step (Apply, no reseed points)", () => model.Apply(statistics, 1.0, []));
        Time("CentroidSet build", () => _ = new CentroidSet(centroids, K, 1));
        float[] block = data.Points.AsSpan(0, B * D).ToArray();
        Time("AllWithin (B points)", () => _ = PointValidator.AllWithin(block, 1e15f));

        // The writer's work per batch: check and copy B points (from the 64 batches in turn, as from a
        // stream) into blocks (16 in turn, as the pool hands them out), in two passes and in one.
        float[][] blocks = [.. Enumerable.Range(0, 16).Select(_ => new float[B * D])];
        int nextBlock = 0;
        Time("ingest check, then copy (B points)", () =>
        {
            ReadOnlySpan<float> from = Batch();
            if (PointValidator.AllWithin(from, 1e15f))
            {
                from.CopyTo(blocks[nextBlock = (nextBlock + 1) % blocks.Length]);
            }
        });
        Time("ingest checked copy (B points)", () => _ = PointValidator.CopyIfAllWithin(Batch(), blocks[nextBlock = (nextBlock + 1) % blocks.Length], 1e15f));
        ModelStageParts(data, centroids, K, D, B, Batches, repair);

        // The pipeline's E-step of one batch (4 shards of 256), on the caller alone and with one
        // helper thread; wall clock, since the helper's time is part of it.
        foreach (int parallelism in new[] { 1, 2 })
        {
            var eStep = new ParallelEStep<HardEStepWork, ClusterStatistics>(K, D, 256, parallelism, B);
            float[] points = data.Points.AsSpan(0, B * D).ToArray();
            try
            {
                TimeWall($"parallel e-step, Parallelism {parallelism}", () => eStep.Run(new HardEStepWork(model.Current), points, B));
            }
            finally
            {
                eStep.Stop();
            }
        }
    }

    /// <summary>
    /// The model thread's whole step of one batch (ModelStage.Take at Parallelism 1: E-step, M-step,
    /// accounting, snapshot, publishing) and the snapshot alone, on a stage as the pipeline builds it.
    /// </summary>
    private static void ModelStageParts(Shape data, double[] centroids, int k, int d, int b, int batches, bool repair)
    {
        var options = new StreamingClustersOptions
        {
            Clusters = k,
            Dimensions = d,
            BatchSize = b,
            Parallelism = 1,
            Seed = 1,
            Repair = repair,
            InitialCentroids = Enumerable.Range(0, k).Select(c => centroids.AsSpan(c * d, d).ToArray()).ToArray(),
        };
        PipelineParts parts = PipelineParts.Create(
            options, new LoggingDeadLetterSink(NullLogger<LoggingDeadLetterSink>.Instance), TimeProvider.System, NullLoggerFactory.Instance, null, new StreamingClustersMetrics(), CheckpointFileSystem.Real);
        IngestStage ingest = parts.Ingest;
        using var subscription = parts.Snapshots.Snapshots.Subscribe(_ => { });
        ModelStage stage = ModelStageFactory.Create(parts, d, restored: null);
        SourceCounters source = ingest.Counters("parts");
        long sequence = 0;
        try
        {
            Time($"model stage Take (Parallelism 1, repair {(repair ? "on" : "off")})", () =>
            {
                var pointBlock = new PointBlock(source, d, b, ingest.Buffers);
                data.Points.AsSpan((int)(sequence % batches) * b * d, b * d).CopyTo(pointBlock.NextSlots(b));
                pointBlock.Commit(b);
                source.AddReceived(b);
                stage.Take(MiniBatch.FromBlock(pointBlock, ++sequence));
            });
            var snapshots = new SnapshotBuilder(stage.Model, new SourceLedger(ingest, []), ingest.Dimensions, TimeProvider.System);
            Time("snapshot (SnapshotBuilder.Build)", () => snapshots.Build(isFinal: false));
        }
        finally
        {
            stage.Stop();
        }
    }

    private static void TimeWall(string name, Action step)
    {
        const int Chunk = 2000;
        double best = double.MaxValue;
        var all = new List<double>();
        for (int round = 0; round < 15; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Chunk; i++)
            {
                step();
            }

            double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds / Chunk;
            all.Add(us);
            best = Math.Min(best, us);
        }

        all.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT part {name}: {best:F2} us per batch wall, median {all[all.Count / 2]:F2} (best and median of 15 chunks of {Chunk})"));
    }

    private static void Time(string name, Action step)
    {
        const int Chunk = 2000;
        double best = double.MaxValue;
        for (int round = 0; round < 15; round++)
        {
            double start = QuickRun.ThreadCpuSeconds();
            for (int i = 0; i < Chunk; i++)
            {
                step();
            }

            best = Math.Min(best, (QuickRun.ThreadCpuSeconds() - start) * 1e6 / Chunk);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT part {name}: {best:F2} us per batch (best of 15 chunks of {Chunk})"));
    }
}
