using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;
using StreamingClusters.Publishing;

namespace StreamingClusters.Worker;

/// <summary>
/// Prints a short line now and then while the model learns — at versions 1, 2, 4, 8, … and at least
/// every few seconds, never one per batch — on standard error with the logs, and a summary with the
/// final centroids at the end on standard output (so that <c>&gt; out.txt</c> keeps only the summary).
/// Hands the final snapshot, or the failure, to the <see cref="RunOutcome"/>.
/// </summary>
internal sealed class ProgressReporter : IHostedService, IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly IObservable<CentroidSnapshot> _snapshots;
    private readonly CommandLineSwitches _switches;
    private readonly TimeProvider _time;
    private readonly RunOutcome _outcome;
    private readonly TextWriter _progress = Console.Error;
    private readonly TextWriter _summary = Console.Out;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDisposable? _subscription;
    private CentroidSnapshot? _previous;
    private long _nextVersion = 1;
    private long _lastLine;
    private long _started;
    private bool _warmJson;

    public ProgressReporter(IObservable<CentroidSnapshot> snapshots, CommandLineSwitches switches, TimeProvider time, IOptions<StreamingClustersOptions> options, RunOutcome outcome)
    {
        _outcome = outcome;
        _snapshots = snapshots;
        _warmJson = !string.IsNullOrEmpty(options.Value.SnapshotPath);
        _switches = switches;
        _time = time;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = _time.GetTimestamp();
        _lastLine = _started;
        _subscription = _snapshots.Subscribe(
            OnSnapshot,
            error =>
            {
                _outcome.Failed(error);
                _done.TrySetResult();
            },
            () =>
            {
                _outcome.Ended();
                _done.TrySetResult();
            });
        return Task.CompletedTask;
    }

    /// <summary>Waits until the summary is printed; the pipeline has drained by now (it stops before this service).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown time is up: leave without the summary rather than hold the host.
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private void OnSnapshot(CentroidSnapshot snapshot)
    {
        if (snapshot.IsFinal)
        {
            _outcome.Finished(snapshot);
            _summary.Write(Summary(snapshot));
            return;
        }

        if (_warmJson)
        {
            // Start-up is over once the model has a first version; warming earlier slowed it down.
            _warmJson = false;
            SnapshotJsonWarmUp.Start();
        }

        if (_switches.Quiet || (snapshot.Version < _nextVersion && _time.GetElapsedTime(_lastLine) < Interval))
        {
            return;
        }

        while (_nextVersion <= snapshot.Version)
        {
            _nextVersion *= 2;
        }

        double seconds = Math.Max(1e-9, _time.GetElapsedTime(_started).TotalSeconds);
        _progress.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"version {snapshot.Version,8}  points {snapshot.PointsApplied,12:N0}  {snapshot.PointsApplied / seconds,12:N0} pts/s  mean sq. distance {snapshot.MeanSquaredDistance,12:G5}  centroid shift {Shift(_previous, snapshot),10:G4}  rejected {snapshot.PointsRejected:N0}"));
        _previous = snapshot;
        _lastLine = _time.GetTimestamp();
    }

    /// <summary>The largest distance any centroid moved since the previous line.</summary>
    private static double Shift(CentroidSnapshot? before, CentroidSnapshot after)
    {
        if (before is null)
        {
            return 0;
        }

        double max = 0;
        for (int c = 0; c < after.Clusters; c++)
        {
            double sum = 0;
            for (int j = 0; j < after.Dimensions; j++)
            {
                double diff = after.Centroids[c][j] - before.Centroids[c][j];
                sum += diff * diff;
            }

            max = Math.Max(max, Math.Sqrt(sum));
        }

        return max;
    }

    private string Summary(CentroidSnapshot s)
    {
        double seconds = Math.Max(1e-9, _time.GetElapsedTime(_started).TotalSeconds);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Done: version {s.Version}, {s.PointsApplied:N0} points applied, {s.PointsRejected:N0} rejected, {s.PointsReceived:N0} received, in {seconds:F2} s ({s.PointsApplied / seconds:N0} pts/s).");
        text.AppendLine(CultureInfo.InvariantCulture, $"Inertia {s.Inertia:G6}, last batch mean squared distance {s.MeanSquaredDistance:G6}.");
        if (s.MeanLogLikelihood is { } logLikelihood)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Gaussian mixture: mean log-likelihood {logLikelihood:F4} nats per point.");
        }

        int shown = Math.Min(s.Clusters, 16);
        int dims = Math.Min(s.Dimensions, 8);
        text.AppendLine(CultureInfo.InvariantCulture, $"Centroids ({s.Clusters} × {s.Dimensions}{(shown < s.Clusters || dims < s.Dimensions ? ", first shown" : string.Empty)}):");
        if (s.Columns is { } columns)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {"columns",-24}  [");
            text.AppendJoin(", ", columns.Take(dims));
            text.AppendLine(dims < s.Dimensions ? ", …]" : "]");
        }

        for (int c = 0; c < shown; c++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {c,3}  weight {s.Weights[c],12:G6}  [");
            text.AppendJoin(", ", s.Centroids[c].Take(dims).Select(v => v.ToString("F3", CultureInfo.InvariantCulture)));
            text.AppendLine(dims < s.Dimensions ? ", …]" : "]");
            if (s.Priors is { } priors && s.Variances is { } variances)
            {
                text.Append(CultureInfo.InvariantCulture, $"       prior  {priors[c],12:F4}  σ [");
                text.AppendJoin(", ", variances[c].Take(dims).Select(v => Math.Sqrt(v).ToString("F3", CultureInfo.InvariantCulture)));
                text.AppendLine(dims < s.Dimensions ? ", …]" : "]");
            }
        }

        return text.ToString();
    }
}
