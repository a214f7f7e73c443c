using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamingClusters.Ingest;
using StreamingClusters.Publishing;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddStreamingClusters(o =>
{
    o.Clusters = 3;
    o.Dimensions = 2;
    o.Seeding.BufferSize = 300; // seed on the first 300 points (8,192 by default)
});
using IHost host = builder.Build();

var snapshots = host.Services.GetRequiredService<IObservable<CentroidSnapshot>>();
using IDisposable printer = snapshots.Subscribe(s => Console.WriteLine($"version {s.Version}: {s.PointsApplied} points applied"));
Task<CentroidSnapshot> final = snapshots.LastAsync().ToTask();
await host.StartAsync();

// 3,000 points around (0, 0), (10, 10) and (20, 0), row-major: x, y, x, y, …
var random = new Random(1);
float[] points = new float[3000 * 2];
for (int i = 0; i < points.Length; i += 2)
{
    int c = random.Next(3);
    points[i] = (c * 10) + random.NextSingle();
    points[i + 1] = (c % 2 * 10) + random.NextSingle();
}

var writer = host.Services.GetRequiredService<IPointWriter>();
await writer.WriteAsync(points, dimensions: 2);
await host.StopAsync(); // drains: every point written is applied before the final snapshot

foreach (double[] centroid in (await final).Centroids)
{
    Console.WriteLine($"centroid ({centroid[0]:F2}, {centroid[1]:F2})");
}
