using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Ingest;
using ClusterEvent = StreamingClusters.Model.ClusterEvent;
using StreamingClusters.Models;
using StreamingClusters.Publishing;
using StreamingClusters.Worker.Http;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>The models of GET /healthz when they live elsewhere: each asked on its own, each call bounded.</summary>
public sealed class ModelsHealthTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task ReadAsync_OneModelDoesNotAnswer_ReportedAfterTheBoundAndTheOthersAnswered()
    {
        var time = new FakeTimeProvider();
        var slow = new Model("slow", null);
        var catalog = new Catalog(names: null, new Model("default", Info("default", 3, 30)), slow, new Model("young", Info("young", -1, 0)));

        Task<IReadOnlyList<ModelHealth>> reading = ModelsHealth.ReadAsync(catalog, Timeout, time, CancellationToken.None);
        await slow.Asked.Task;
        bool doneBeforeTheBound = reading.IsCompleted;
        time.Advance(Timeout);
        IReadOnlyList<ModelHealth> models = await reading;

        Assert.False(doneBeforeTheBound);
        Assert.Equal(
        [
            new ModelHealth("default", "ready", 3, 30),
            new ModelHealth("slow", "unanswered", Error: "no answer within 1s"),
            new ModelHealth("young", "starting", -1, 0),
        ], models);
    }

    [Fact]
    public async Task ReadAsync_TheNamesDoNotCome_TheModelDefaultIsAskedOnItsOwn()
    {
        var time = new FakeTimeProvider();
        var names = new TaskCompletionSource<IReadOnlyList<string>>();
        var catalog = new Catalog(names, new Model("default", Info("default", 5, 50)));

        Task<IReadOnlyList<ModelHealth>> reading = ModelsHealth.ReadAsync(catalog, Timeout, time, CancellationToken.None);
        await catalog.NamesAsked.Task;
        time.Advance(Timeout);

        Assert.Equal([new ModelHealth("default", "ready", 5, 50)], await reading);
    }

    [Fact]
    public async Task ReadAsync_AModelDeletedBetweenTheNamesAndItsAnswer_LeftOut()
    {
        var time = new FakeTimeProvider();
        var deleted = new Model("deleted", null) { Failure = new KeyNotFoundException("The model 'deleted' is not defined (or was deleted).") };
        var catalog = new Catalog(names: null, new Model("default", Info("default", 5, 50)), deleted);

        IReadOnlyList<ModelHealth> models = await ModelsHealth.ReadAsync(catalog, Timeout, time, CancellationToken.None);

        Assert.Equal([new ModelHealth("default", "ready", 5, 50)], models);
    }

    [Fact]
    public async Task ClusterHealth_ProbesWithinTheInterval_OneRoundOfCallsThenAnotherOnceItPassed()
    {
        var time = new FakeTimeProvider();
        var model = new Model("default", Info("default", 5, 50));
        var catalog = new Catalog(names: null, model);
        var health = new ClusterHealth(time, Timeout);

        ClusterHealthReading first = await health.ReadAsync(catalog, CancellationToken.None);
        time.Advance(ClusterHealth.CacheFor - TimeSpan.FromMilliseconds(1));
        ClusterHealthReading second = await health.ReadAsync(catalog, CancellationToken.None);
        int callsWithin = model.Calls;
        time.Advance(TimeSpan.FromMilliseconds(1));
        await health.ReadAsync(catalog, CancellationToken.None);

        Assert.Equal("ready", first.Status);
        Assert.Same(first.Models, second.Models);
        Assert.Equal(1, callsWithin);
        Assert.Equal(2, model.Calls);
    }

    [Fact]
    public async Task ClusterHealth_DefaultNotSeededYet_EveryProbeAsksSoThatTheWorkerIsReadyAsSoonAsItIs()
    {
        var time = new FakeTimeProvider();
        var model = new Model("default", Info("default", -1, 0));
        var health = new ClusterHealth(time, Timeout);
        var catalog = new Catalog(names: null, model);

        ClusterHealthReading starting = await health.ReadAsync(catalog, CancellationToken.None);
        model.Info = Info("default", 1, 20);
        ClusterHealthReading ready = await health.ReadAsync(catalog, CancellationToken.None);

        Assert.Equal(("starting", false), (starting.Status, starting.Serving));
        Assert.Equal(("ready", 1L), (ready.Status, ready.Version));
    }

    [Fact]
    public async Task ClusterHealth_DefaultSlowAfterItWasReadyHere_ServingDegradedWithDefaultUnanswered()
    {
        var time = new FakeTimeProvider();
        var model = new Model("default", Info("default", 5, 50));
        var other = new Model("plant-a", Info("plant-a", 2, 20));
        var catalog = new Catalog(names: null, model, other);
        var health = new ClusterHealth(time, Timeout);
        ClusterHealthReading ready = await health.ReadAsync(catalog, CancellationToken.None);

        // default's silo fails over: its grain answers no more for a while.
        model.Info = null;
        model.Asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(ClusterHealth.CacheFor);
        Task<ClusterHealthReading> reading = health.ReadAsync(catalog, CancellationToken.None);
        await model.Asked.Task;
        time.Advance(Timeout);
        ClusterHealthReading slow = await reading;

        Assert.True(ready.Serving);
        Assert.Equal("degraded", slow.Status);
        Assert.True(slow.Serving);
        Assert.Equal(-1, slow.Version);
        Assert.Equal(
        [
            new ModelHealth("default", "unanswered", Error: "no answer within 1s"),
            new ModelHealth("plant-a", "ready", 2, 20),
        ], slow.Models);
    }

    [Fact]
    public async Task ClusterHealth_DefaultSlowBeforeItWasEverReadyHere_Unavailable()
    {
        var time = new FakeTimeProvider();
        var model = new Model("default", null);
        var health = new ClusterHealth(time, Timeout);

        Task<ClusterHealthReading> reading = health.ReadAsync(new Catalog(names: null, model), CancellationToken.None);
        await model.Asked.Task;
        time.Advance(Timeout);
        ClusterHealthReading slow = await reading;

        Assert.Equal("unavailable", slow.Status);
        Assert.False(slow.Serving);
    }

    [Fact]
    public async Task ClusterHealth_NothingOfTheClusterAnswersAfterDefaultWasReady_Unavailable()
    {
        var time = new FakeTimeProvider();
        var model = new Model("default", Info("default", 5, 50));
        var names = new TaskCompletionSource<IReadOnlyList<string>>();
        names.SetResult(["default"]);
        var catalog = new Catalog(names, model);
        var health = new ClusterHealth(time, Timeout);
        await health.ReadAsync(catalog, CancellationToken.None);

        // This worker is cut off: neither the names nor default answer.
        catalog.Names = new TaskCompletionSource<IReadOnlyList<string>>();
        model.Info = null;
        model.Asked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        time.Advance(ClusterHealth.CacheFor);
        Task<ClusterHealthReading> reading = health.ReadAsync(catalog, CancellationToken.None);
        await catalog.NamesAsked.Task;
        time.Advance(Timeout);
        await model.Asked.Task;
        time.Advance(Timeout);
        ClusterHealthReading cutOff = await reading;

        Assert.Equal("unavailable", cutOff.Status);
        Assert.False(cutOff.Serving);
    }

    private static ModelInfo Info(string name, long version, long applied) => new(name, 2, 2, "KMeans", version, applied, 0, 65_536, 1e15);

    /// <summary>Models that live elsewhere: names from one place, each model described on its own.</summary>
    private sealed class Catalog(TaskCompletionSource<IReadOnlyList<string>>? names, params Model[] models) : IModelCatalog, IModelNames
    {
        public TaskCompletionSource NamesAsked { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets or sets the names' answer; null to answer the models' names at once.</summary>
        public TaskCompletionSource<IReadOnlyList<string>>? Names { get; set; } = names;

        public async ValueTask<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken = default)
        {
            NamesAsked.TrySetResult();
            return Names is null ? [.. models.Select(m => m.Name)] : await Names.Task.WaitAsync(cancellationToken);
        }

        public ValueTask<IReadOnlyList<ModelInfo>> ListAsync(CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the probe does not describe every model in one call");

        public ValueTask<IModelHandle?> FindAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IModelHandle?>(models.FirstOrDefault(m => m.Name == name));

        public ValueTask<ModelCreation> CreateAsync(string name, Models.ModelOverrides settings, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask<ModelDeletion> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }

    /// <summary>A model that answers with <paramref name="info"/>, or never (until the call is cancelled) when it is null.</summary>
    private sealed class Model(string name, ModelInfo? info) : IModelHandle
    {
        private int _calls;

        public TaskCompletionSource Asked { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Gets or sets the answer; null to answer never (until the call is cancelled).</summary>
        public ModelInfo? Info { get; set; } = info;

        /// <summary>Gets or sets what the call throws instead of answering.</summary>
        public Exception? Failure { get; init; }

        /// <summary>Gets how many times the model was described.</summary>
        public int Calls => Volatile.Read(ref _calls);

        public string Name => name;

        public IObservable<CentroidSnapshot> Snapshots => throw new NotSupportedException();

        public IObservable<ClusterEvent> Events => throw new NotSupportedException();

        public async ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            Asked.TrySetResult();
            if (Failure is not null)
            {
                throw Failure;
            }

            ModelInfo? answer = Info;
            if (answer is null)
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
            }

            return answer!;
        }

        public ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<WriteResult?> TryWriteAsync(string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, TimeSpan wait, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
