using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Diagnostics;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Diagnostics;

public sealed class StreamingClustersMetricsTests
{
    [Fact]
    public async Task Observe_BeforeAndAfterSeeding_ModelGaugesOnlyOnceSeededReseedsFromZero()
    {
        using var meters = new OwnMeterFactory();
        var metrics = new StreamingClustersMetrics(meters);
        var options = new StreamingClustersOptions { Clusters = 3, BatchSize = 512, Seeding = { BufferSize = 512 } };
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, metrics: metrics);

        // Not seeded: no version, inertia or weights (not a 0 that reads as a model), but reseeds at 0.
        List<Observed> before = meters.Observe();
        Assert.DoesNotContain(before, m => m.Name is "streamingclusters.model.version" or "streamingclusters.model.inertia" or "streamingclusters.model.mean_squared_distance" or "streamingclusters.cluster.weight");
        Assert.Equal(0, Assert.Single(before, m => m.Name == "streamingclusters.reseeds").Value);

        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);
        await pipeline.Writer.WriteAsync(TestData.Blobs(2_048, 2, clusters: 3, seed: 4), 2);
        await stop.CancelAsync();
        await running;

        CentroidSnapshot latest = pipeline.Latest!;
        List<Observed> after = meters.Observe();
        Assert.Equal(latest.Version, Assert.Single(after, m => m.Name == "streamingclusters.model.version").Value);
        Assert.Equal(latest.Inertia, Assert.Single(after, m => m.Name == "streamingclusters.model.inertia").Value);
        Assert.Equal(
            latest.Weights.Select((w, c) => ($"{c}", w)),
            after.Where(m => m.Name == "streamingclusters.cluster.weight").Select(m => (m.Cluster!, m.Value)));
    }

    private sealed record Observed(string Name, double Value, string? Cluster);

    /// <summary>Meters of this test alone, read on demand.</summary>
    private sealed class OwnMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];
        private readonly MeterListener _listener = new();
        private readonly List<Observed> _observed = [];

        public OwnMeterFactory()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                lock (_meters)
                {
                    if (_meters.Contains(instrument.Meter))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        /// <summary>Reads every observable instrument once.</summary>
        public List<Observed> Observe()
        {
            lock (_observed)
            {
                _observed.Clear();
                _listener.RecordObservableInstruments();
                return [.. _observed];
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
            }
        }

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? cluster = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "cluster")
                {
                    cluster = tag.Value as string;
                }
            }

            lock (_observed)
            {
                _observed.Add(new Observed(instrument.Name, value, cluster));
            }
        }
    }
}
