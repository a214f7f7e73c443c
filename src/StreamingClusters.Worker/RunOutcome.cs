using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using StreamingClusters.Checkpoints;
using StreamingClusters.Ingest;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Seeding;

namespace StreamingClusters.Worker;

/// <summary>
/// What a run ended with — its final snapshot, its failure, the signal that stopped it — and what the
/// worker tells its user about it: one line on standard error (and a hint where one fits) and the exit code.
/// </summary>
internal sealed class RunOutcome : IDisposable
{
    private readonly Lock _gate = new();
    private CentroidSnapshot? _final;
    private Exception? _failure;
    private PosixSignal? _signal;
    private bool _ended;
    private bool _stoppedBeforeTheEnd;
    private PosixSignalRegistration[] _signals = [];

    /// <summary>Gets or sets the rejected records seen, for hints.</summary>
    public RejectionSample? Rejections { get; set; }

    /// <summary>Records the final snapshot.</summary>
    public void Finished(CentroidSnapshot final)
    {
        lock (_gate)
        {
            _final = final;
            _ended = true;
        }
    }

    /// <summary>Records that the snapshots have ended (with or without a model).</summary>
    public void Ended()
    {
        lock (_gate)
        {
            _ended = true;
        }
    }

    /// <summary>Records the failure the snapshots ended with.</summary>
    public void Failed(Exception failure)
    {
        lock (_gate)
        {
            _failure = failure;
            _ended = true;
        }
    }

    /// <summary>Watches for stop signals and for the host's stop.</summary>
    /// <param name="lifetime">The host's lifetime.</param>
    public void Watch(IHostApplicationLifetime lifetime)
    {
        // Beside the host's own handlers, which stop it: these only note which signal it was.
        _signals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(s => PosixSignalRegistration.Create(s, _ => Signalled(s)))];
        lifetime.ApplicationStopping.Register(Stopping);
    }

    public void Dispose()
    {
        foreach (PosixSignalRegistration signal in _signals)
        {
            signal.Dispose();
        }
    }

    /// <summary>Records a stop signal.</summary>
    public void Signalled(PosixSignal signal)
    {
        lock (_gate)
        {
            _signal ??= signal;
        }
    }

    /// <summary>
    /// Records that the host is stopping. A run that ends on its own stops the host after its final
    /// snapshot; a stop before that came from outside, whatever order the signal's handlers ran in.
    /// </summary>
    public void Stopping()
    {
        lock (_gate)
        {
            _stoppedBeforeTheEnd = !_ended;
        }
    }

    /// <summary>Writes what the user needs to know to <paramref name="error"/> and returns the exit code.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="hostExitCode">The exit code the pipeline's service set (1 on a failure or an abandoned drain).</param>
    /// <param name="error">Standard error.</param>
    /// <returns>The exit code.</returns>
    public int Report(StreamingClustersOptions options, int hostExitCode, TextWriter error)
    {
        CentroidSnapshot? final;
        Exception? failure;
        PosixSignal? stoppedBy;
        lock (_gate)
        {
            (final, failure, stoppedBy) = (_final, _failure, _stoppedBeforeTheEnd ? _signal : null);
        }

        string noSnapshot = string.IsNullOrWhiteSpace(options.SnapshotPath) ? string.Empty : $"; no snapshot was written to {options.SnapshotPath} (there is no model)";
        if (failure is not null)
        {
            if (Find<CheckpointException>(failure) is { } checkpoint)
            {
                error.WriteLine($"error: {checkpoint.Message}");
                return ExitCodes.Refused;
            }

            if (Find<InsufficientDistinctPointsException>(failure) is { } tooFew)
            {
                error.WriteLine($"error: Nothing was learned: {tooFew.Message.TrimEnd('.')}{noSnapshot}.");
                error.WriteLine("hint: ask for fewer clusters (--clusters K) or give more distinct points.");
                return ExitCodes.LearnedNothing;
            }

            error.WriteLine($"error: {Describe(failure)}");
            return ExitCodes.Failed;
        }

        if (!options.StopWhenSourcesEnd)
        {
            // A service (HTTP, a followed file) runs until it is stopped: a stop is its normal end.
            return hostExitCode;
        }

        if (stoppedBy is { } signal)
        {
            string name = signal == PosixSignal.SIGINT ? "SIGINT (Ctrl-C)" : signal.ToString();
            string kept = final is null ? "no point had been applied yet" : string.Create(CultureInfo.InvariantCulture, $"{final.PointsApplied:N0} points applied");
            string where = final is not null && !string.IsNullOrWhiteSpace(options.SnapshotPath) ? $"; the snapshot of them is in {options.SnapshotPath}" : string.Empty;
            error.WriteLine($"stopped: {name} arrived before the input ended; {kept}{where}.");
            return hostExitCode != ExitCodes.Success ? hostExitCode : signal == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated;
        }

        if (final is null)
        {
            RejectedRecord? first = Rejections?.First;
            if (first is not { } rejected)
            {
                error.WriteLine($"error: Nothing was learned: the input ended without a single record (it is empty, or holds only a header){noSnapshot}.");
                return ExitCodes.LearnedNothing;
            }

            error.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"error: Nothing was learned: every record was rejected; the first, record {rejected.Record} of {rejected.Source}: {rejected.Reason}{noSnapshot}."));
            error.WriteLine($"hint: {Hint(rejected, options)}");
            return ExitCodes.LearnedNothing;
        }

        return hostExitCode;
    }

    /// <summary>The switch most likely to fix a run whose every record was rejected like <paramref name="rejected"/>.</summary>
    private static string Hint(RejectedRecord rejected, StreamingClustersOptions options)
    {
        bool csv = options.Sources.Any(s => s.Format == RecordFormat.Csv);
        string raw = rejected.Raw.TrimStart();
        if (csv && (raw.StartsWith('{') || raw.StartsWith('[')))
        {
            return "the records look like JSON lines: read them with --format jsonl.";
        }

        if (rejected.Reason.Contains("not a number", StringComparison.Ordinal))
        {
            string example = InputCheck.NumericColumns(options) is { Length: > 0 } numeric ? string.Join(',', numeric) : "1,2,3";
            return $"a column holds text (a label, a name, a date): pick the numeric columns with --columns, by header name or zero-based index (e.g. --columns {example}).";
        }

        if (rejected.Reason.StartsWith("expected ", StringComparison.Ordinal) || rejected.Reason.Contains("where the header has", StringComparison.Ordinal))
        {
            return "the records do not all have the same number of values: pick the same columns of each with --columns.";
        }

        return "every rejected record, with its reason, is written by --dead-letter PATH.";
    }

    private static T? Find<T>(Exception failure)
        where T : Exception
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }

            if (e is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions)
                {
                    if (Find<T>(inner) is { } nested)
                    {
                        return nested;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The failure in one line: the sources' own reasons rather than the wrapper's.</summary>
    private static string Describe(Exception failure) => failure is AggregateException aggregate
        ? string.Join("; ", aggregate.InnerExceptions.Select(e => e.Message))
        : failure.Message;
}
