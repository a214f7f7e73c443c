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

    private static ModelInfo Info(string name, long version, long applied) => new(name, 2, 2, "KMeans", version, applied, 0, 65_536, 1e15);

    /// <summary>Models that live elsewhere: names from one place, each model described on its own.</summary>
    private sealed class Catalog(TaskCompletionSource<IReadOnlyList<string>>? names, params Model[] models) : IModelCatalog, IModelNames
    {
        public TaskCompletionSource NamesAsked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<IReadOnlyList<string>> NamesAsync(CancellationToken cancellationToken = default)
        {
            NamesAsked.TrySetResult();
            return names is null ? [.. models.Select(m => m.Name)] : await names.Task.WaitAsync(cancellationToken);
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
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => name;

        public IObservable<CentroidSnapshot> Snapshots => throw new NotSupportedException();

        public IObservable<ClusterEvent> Events => throw new NotSupportedException();

        public async ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
        {
            Asked.TrySetResult();
            if (info is null)
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
            }

            return info!;
        }

        public ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<WriteResult?> TryWriteAsync(string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, TimeSpan wait, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
