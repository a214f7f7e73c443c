using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Publishing;

/// <summary>
/// Ten in-process subscribers of the snapshot stream, one blocked for good and one that throws: the
/// pipeline completes as it does alone (same model, bit for bit), the throwing one is cut off and
/// logged, and the eight others each get the final snapshot and completion.
/// </summary>
public sealed class SnapshotSubscribersLoadTests
{
    private const int Dimensions = 5;

    [Fact]
    public async Task Snapshots_TenSubscribersOneBlockedOneThrowing_PipelineFinishesTheSameModelAndTheOthersGetTheFinalSnapshot()
    {
        float[] points = TestData.Blobs(20_000, Dimensions, clusters: 4, seed: 9);
        CentroidSnapshot alone = await RunAsync(CreateSut(new RecordingLoggerFactory()), points);

        var logs = new RecordingLoggerFactory();
        ClusteringPipeline pipeline = CreateSut(logs);
        using var gate = new ManualResetEventSlim();
        var blockedSaw = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable blocked = pipeline.Snapshots.Subscribe(_ =>
        {
            blockedSaw.TrySetResult();
            gate.Wait();
        });
        int throwingCalls = 0;
        using IDisposable throwing = pipeline.Snapshots.Subscribe(_ =>
        {
            Interlocked.Increment(ref throwingCalls);
            throw new InvalidOperationException("subscriber bug");
        });
        var good = Enumerable.Range(0, 8).Select(_ => new LastSnapshot()).ToArray();
        IDisposable[] subscriptions = [.. good.Select(g => pipeline.Snapshots.Subscribe(g))];

        try
        {
            CentroidSnapshot final = await RunAsync(pipeline, points);
            await Task.WhenAll(good.Select(g => g.Completed));
            await blockedSaw.Task;

            AssertSameModel(alone, final);
            Assert.All(good, g => Assert.Same(final, g.Last));
            Assert.Equal(1, throwingCalls);
            var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
            Assert.Equal(300, warning.Id.Id);
            Assert.Equal("subscriber bug", warning.Error?.Message);
        }
        finally
        {
            gate.Set();
            foreach (IDisposable subscription in subscriptions)
            {
                subscription.Dispose();
            }
        }
    }

    private static ClusteringPipeline CreateSut(ILoggerFactory logs) =>
        new(ClusteringPipelineTests.Options(), new RecordingDeadLetterSink(), new FakeTimeProvider(), logs);

    private static async Task<CentroidSnapshot> RunAsync(ClusteringPipeline pipeline, float[] points)
    {
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        await pipeline.Writer.WriteAsync(points, Dimensions);
        await stop.CancelAsync();
        await running;
        return pipeline.Latest!;
    }

    private static void AssertSameModel(CentroidSnapshot expected, CentroidSnapshot actual)
    {
        Assert.True(actual.IsFinal);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.PointsApplied, actual.PointsApplied);
        Assert.Equal(expected.Counts, actual.Counts);
        for (int c = 0; c < expected.Clusters; c++)
        {
            Assert.Equal(expected.Centroids[c].Select(BitConverter.DoubleToInt64Bits), actual.Centroids[c].Select(BitConverter.DoubleToInt64Bits));
        }
    }

    private sealed class LastSnapshot : IObserver<CentroidSnapshot>
    {
        private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CentroidSnapshot? Last { get; private set; }

        public Task Completed => _completed.Task;

        public void OnNext(CentroidSnapshot value) => Last = value;

        public void OnError(Exception error) => _completed.TrySetException(error);

        public void OnCompleted() => _completed.TrySetResult();
    }

    private sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly List<(LogLevel Level, EventId Id, Exception? Error)> _entries = [];

        public IReadOnlyList<(LogLevel Level, EventId Id, Exception? Error)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((logLevel, eventId, exception));
            }
        }
    }
}
