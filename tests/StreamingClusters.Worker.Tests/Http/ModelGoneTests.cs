using System.Text;
using Microsoft.AspNetCore.Http;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Publishing;
using StreamingClusters.Worker.Http;
using ClusterEvent = StreamingClusters.Model.ClusterEvent;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// POST /models/{name}/points when the model turns out gone on the way (cluster mode: deleted on another
/// worker), and where a body's unreadable records go: against a model of the test's own.
/// </summary>
public sealed class ModelGoneTests
{
    [Fact]
    public async Task Post_OnlyUnreadableRecords_ModelGoneWhenTheyAreCounted_404()
    {
        var model = new Model { Gone = true };

        IResult answer = await PostAsync(model, "x,1\ny,2\n");

        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsAssignableFrom<IStatusCodeHttpResult>(answer).StatusCode);
    }

    [Fact]
    public async Task Post_ModelGoneWhenItsLimitsAreRead_404()
    {
        var model = new Model { GoneBeforeLimits = true };

        IResult answer = await PostAsync(model, "1,2\n");

        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsAssignableFrom<IStatusCodeHttpResult>(answer).StatusCode);
    }

    [Fact]
    public async Task Post_PointsAndUnreadableRecords_TheRecordsGoWithThePointsInOneWrite()
    {
        var model = new Model();

        IResult answer = await PostAsync(model, "1,2\nx,1\n3,4\n");

        Assert.Equal(StatusCodes.Status200OK, Assert.IsAssignableFrom<IStatusCodeHttpResult>(answer).StatusCode);
        Assert.Equal([2L], model.WrittenWith.Select(r => r.Record));
        Assert.Equal(0, model.RejectCalls);
    }

    private static Task<IResult> PostAsync(Model model, string csv)
    {
        var context = new DefaultHttpContext();
        byte[] body = Encoding.UTF8.GetBytes(csv);
        context.Request.ContentType = "text/csv; header=absent";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        return IngestEndpoints.PostAsync(context, new Catalog(model), "m", Microsoft.Extensions.Options.Options.Create(new HttpOptions()), CancellationToken.None);
    }

    private sealed class Catalog(Model model) : IModelCatalog
    {
        public ValueTask<IModelHandle?> FindAsync(string name, CancellationToken cancellationToken = default) => ValueTask.FromResult<IModelHandle?>(model);

        public ValueTask<IReadOnlyList<ModelInfo>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ModelCreation> CreateAsync(string name, ModelOverrides settings, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ModelDeletion> DeleteAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    /// <summary>A model of d = 2 that takes every point, or is gone (its limits, or the count of rejections, say so).</summary>
    private sealed class Model : IModelHandle
    {
        public bool Gone { get; init; }

        public bool GoneBeforeLimits { get; init; }

        public List<RecordRejection> WrittenWith { get; } = [];

        public int RejectCalls { get; private set; }

        public string Name => "m";

        public IObservable<CentroidSnapshot> Snapshots => throw new NotSupportedException();

        public IObservable<ClusterEvent> Events => throw new NotSupportedException();

        public ValueTask<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<RecordLimits> LimitsAsync(CancellationToken cancellationToken = default) =>
            GoneBeforeLimits ? throw new KeyNotFoundException("No model named 'm' is defined.") : ValueTask.FromResult(new RecordLimits(2, 1024, 1e6f));

        public ValueTask<CentroidSnapshot?> LatestAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<WriteResult?> TryWriteAsync(string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, TimeSpan wait, CancellationToken cancellationToken = default) =>
            Task.FromResult<WriteResult?>(new WriteResult(points.Length / dimensions, 0));

        public Task<WriteResult?> TryWriteAsync(
            string source, ReadOnlyMemory<float> points, int dimensions, IReadOnlyList<string>? columns, IReadOnlyList<RecordRejection> rejections, TimeSpan wait, CancellationToken cancellationToken = default)
        {
            WrittenWith.AddRange(rejections);
            return TryWriteAsync(source, points, dimensions, columns, wait, cancellationToken);
        }

        public ValueTask RejectAsync(string source, IReadOnlyList<RecordRejection> rejections, CancellationToken cancellationToken = default)
        {
            RejectCalls++;
            return Gone ? throw new KeyNotFoundException("The model 'm' was deleted.") : ValueTask.CompletedTask;
        }

        public ValueTask<ModelScores?> ScoreAsync(ReadOnlyMemory<float> points, int dimensions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
