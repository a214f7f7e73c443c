using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Publishing;
using StreamingClusters.Worker.Http;
using ClusterEvent = StreamingClusters.Model.ClusterEvent;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>The models' series of /metrics in cluster mode: read from the rounds of /healthz, never waited for.</summary>
public sealed class ClusterModelMetricsTests
{
    /// <summary>Long enough for a scrape that returns at once; a scrape waiting on the model would wait forever.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Scrape_TheCatalogIsSlow_AnswersAtOnceWithTheLastReadingAndStartsOneRoundAtATime()
    {
        var time = new FakeTimeProvider();
        var model = new SlowModel("default");
        var health = new ClusterHealth(time, TimeSpan.FromSeconds(1));
        var metrics = new ClusterModelMetrics(null, health, () => new Catalog(model));
        using var scrapes = new Scrapes(metrics.Meter);

        // Nothing read yet, and the model does not answer: the scrape does not wait for it.
        IReadOnlyList<(string, string, long)> first = await Task.Run(scrapes.Scrape).WaitAsync(Hang);
        await model.Asked.Task.WaitAsync(Hang);
        model.Answer.SetResult(Info(version: 4, applied: 40, rejected: 2));
        await health.Round!.WaitAsync(Hang);
        IReadOnlyList<(string, string, long)> second = scrapes.Scrape();

        // A second later, the model is slow again: the scrape gives the last reading and starts one round only.
        model.Answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        model.Asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(ClusterHealth.CacheFor);
        IReadOnlyList<(string, string, long)> third = await Task.Run(scrapes.Scrape).WaitAsync(Hang);
        await model.Asked.Task.WaitAsync(Hang);
        time.Advance(TimeSpan.FromMilliseconds(500));
        IReadOnlyList<(string, string, long)> fourth = await Task.Run(scrapes.Scrape).WaitAsync(Hang);

        Assert.Empty(first);
        (string, string, long)[] expected =
        [
            ("streamingclusters.model.clusters", "default", 3),
            ("streamingclusters.model.seeded", "default", 1),
            ("streamingclusters.model.version", "default", 4),
            ("streamingclusters.points.applied", "default", 40),
            ("streamingclusters.records.rejected", "default", 2),
        ];
        Assert.Equal(expected, second);
        Assert.Equal(expected, third);
        Assert.Equal(expected, fourth);
        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task Scrape_AModelNotSeeded_SeededZeroAndNoVersion()
    {
        var time = new FakeTimeProvider();
        var model = new SlowModel("plant-a");
        model.Answer.SetResult(Info(version: -1, applied: 0, rejected: 0) with { Name = "plant-a" });
        var health = new ClusterHealth(time, TimeSpan.FromSeconds(1));
        var metrics = new ClusterModelMetrics(null, health, () => new Catalog(model));
        using var scrapes = new Scrapes(metrics.Meter);

        scrapes.Scrape();
        await health.Round!.WaitAsync(Hang);

        Assert.Equal(
        [
            ("streamingclusters.model.clusters", "plant-a", 3),
            ("streamingclusters.model.seeded", "plant-a", 0),
            ("streamingclusters.points.applied", "plant-a", 0),
            ("streamingclusters.records.rejected", "plant-a", 0),
        ], scrapes.Scrape());
    }

    private static ModelInfo Info(long version, long applied, long rejected) => new("default", 3, 2, "KMeans", version, applied, rejected, 65_536, 1e15);

    /// <summary>What a scrape reads: every instrument of the meter, observed now.</summary>
    private sealed class Scrapes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, string Model, long Value)> _measurements = [];

        public Scrapes(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string model = string.Empty;
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    model = tag.Key == "model" ? (string)tag.Value! : model;
                }

                _measurements.Add((instrument.Name, model, value));
            });
            _listener.Start();
        }

        public IReadOnlyList<(string Instrument, string Model, long Value)> Scrape()
        {
            lock (_measurements)
            {
                _measurements.Clear();
                _listener.RecordObservableInstruments();
                return [.. _measurements.Order()];
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>The cluster's catalog: its names at once, its one model as slow as that model is.</summary>
    private sealed class Catalog(SlowModel model) : IModelCatalog, IModelNames
    {
        public ValueTask<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<string>>([model.Name]);

        public ValueTask<IReadOnlyList<ModelInfo>> ListAsync(CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the models are read one by one");

        public ValueTask<IModelHandle?> FindAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IModelHandle?>(name == model.Name ? model : null);

        public ValueTask<ModelCreation> CreateAsync(string name, ModelOverrides settings, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask<ModelDeletion> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }

    /// <summary>A model whose status comes when <see cref="Answer"/> is set (or the call is cancelled).</summary>
    private sealed class SlowModel(string name) : IModelHandle
    {
        private int _calls;

        public TaskCompletionSource Asked { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<ModelInfo> Answer { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets how many times the model was described.</summary>
        public int Calls => Volatile.Read(ref _calls);

        public string Name => name;

        public IObservable<CentroidSnapshot> Snapshots => throw new NotSupportedException();

        public IObservable<ClusterEvent> Events => throw new NotSupportedException();

        public async ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            TaskCompletionSource<ModelInfo> answer = Answer;
            Asked.TrySetResult();
            return await answer.Task.WaitAsync(cancellationToken);
        }

        public ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<WriteResult?> TryWriteAsync(string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, TimeSpan wait, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
