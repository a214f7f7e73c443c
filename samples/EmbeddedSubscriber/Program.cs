// Embeds StreamingClusters in a Generic Host: three drifting sources of 2-D points are written in
// through IPointWriter, and every snapshot the subscriber keeps up with is printed.
//
//     dotnet run --project samples/EmbeddedSubscriber -c Release
using System.Globalization;
using System.Reactive.Linq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamingClusters;
using StreamingClusters.Ingest;
using StreamingClusters.Publishing;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddFilter("StreamingClusters", LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["StreamingClusters:Clusters"] = "3",
    ["StreamingClusters:Dimensions"] = "2",
    ["StreamingClusters:BatchSize"] = "500",
    ["StreamingClusters:HalfLife"] = "1000points",
    ["StreamingClusters:Seeding:BufferSize"] = "1000",
    ["StreamingClusters:Seed"] = "1",
});
builder.Services.AddStreamingClusters(builder.Configuration.GetSection("StreamingClusters"));
using IHost host = builder.Build();

var snapshots = host.Services.GetRequiredService<IObservable<CentroidSnapshot>>();
var writer = host.Services.GetRequiredService<IPointWriter>();
var scorer = host.Services.GetRequiredService<IClusterScorer>();
var done = new TaskCompletionSource();
using IDisposable subscription = snapshots.Subscribe(s => Console.WriteLine(Describe(s)), () => done.TrySetResult());

await host.StartAsync();

// Three clusters whose centres move to the right as time goes on; the half-life lets the model follow.
var random = new Random(7);
float[] block = new float[500 * 2];
for (int step = 0; step < 40; step++)
{
    for (int i = 0; i < 500; i++)
    {
        int c = random.Next(3);
        block[2 * i] = (float)((c * 10) + (step * 0.25) + NextGaussian(random));
        block[(2 * i) + 1] = (float)((c % 2 * 8) + NextGaussian(random));
    }

    await writer.WriteAsync(block, dimensions: 2);
}

// Writes return once the points are in the pipeline; wait until the model has applied them all.
await snapshots.FirstAsync(s => s.PointsApplied == 40 * 500);

int[] cluster = new int[1];
float[] distance = new float[1];
scorer.Score([30f, 0f], cluster, distance);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The point (30, 0) is nearest cluster {cluster[0]}, squared distance {distance[0]:F2}."));

await host.StopAsync();
await done.Task;

static string Describe(CentroidSnapshot s)
{
    string centroids = string.Join("  ", s.Centroids.Select(c => string.Create(CultureInfo.InvariantCulture, $"({c[0],6:F2},{c[1],6:F2})")));
    return string.Create(CultureInfo.InvariantCulture, $"v{s.Version,-4} applied {s.PointsApplied,6}  msd {s.MeanSquaredDistance,7:F3}  {centroids}{(s.IsFinal ? "  final" : string.Empty)}");
}

static double NextGaussian(Random random) =>
    Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
