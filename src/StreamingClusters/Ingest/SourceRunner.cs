using Microsoft.Extensions.Logging;
using StreamingClusters.Checkpoints;
using StreamingClusters.Sources;

namespace StreamingClusters.Ingest;

/// <summary>
/// Runs a pipeline's sources side by side, each from its checkpointed position, into the ingest. A
/// failing source is logged and the others go on; the ingest closes once they have all ended and
/// flushed (or, for a long-running service, once it is stopped).
/// </summary>
internal static class SourceRunner
{
    /// <summary>Runs every source; closes the ingest when they have ended (or on stop) and flushed.</summary>
    /// <param name="sources">The sources.</param>
    /// <param name="ingest">The ingest they hand their records to.</param>
    /// <param name="restored">The positions each replayable source resumes from.</param>
    /// <param name="stopWhenSourcesEnd">Whether to close the ingest once every source has ended, rather than on stop.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="stoppingToken">Stops the sources.</param>
    /// <returns>The sources' failures, once the ingest is closed.</returns>
    public static async Task<Exception[]> RunAsync(
        IReadOnlyList<IPointSource> sources, IngestStage ingest, IReadOnlyList<SourceCheckpoint> restored, bool stopWhenSourcesEnd, ILogger logger, CancellationToken stoppingToken)
    {
        var failures = new List<Exception>();
        Task[] running = [.. sources.Select(source => Task.Run(() => RunSourceAsync(source, ingest, restored, failures, logger, stoppingToken), CancellationToken.None))];
        await Task.WhenAll(running).ConfigureAwait(false);
        if (!stopWhenSourcesEnd)
        {
            // The in-process writer stays open until the host stops.
            await WhenCancelled(stoppingToken).ConfigureAwait(false);
        }

        PipelineLog.Draining(logger);
        ingest.Complete();
        lock (failures)
        {
            return [.. failures];
        }
    }

    private static async Task RunSourceAsync(
        IPointSource source, IngestStage ingest, IReadOnlyList<SourceCheckpoint> restored, List<Exception> failures, ILogger logger, CancellationToken stoppingToken)
    {
        try
        {
            SourceIngest input = ingest.Open(source.Name);
            if (source is IAcknowledgingSource acknowledging)
            {
                input.Counters.Committed = acknowledging.Committed;
            }

            if (restored.FirstOrDefault(s => s.Name == source.Name) is { Position: >= 0 } resume)
            {
                source.ResumePosition = resume.Position;
                input.ResumeAt(resume.Records, resume.Position);
            }

            await source.RunAsync(input, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped: the source flushed what it had read.
        }
#pragma warning disable CA1031 // A failing source is reported and the others go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            PipelineLog.SourceFailed(logger, ex, source.Name);
            lock (failures)
            {
                failures.Add(new InvalidOperationException($"Source '{source.Name}' failed: {ex.Message}", ex));
            }
        }
    }

    private static Task WhenCancelled(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => cancelled.TrySetResult());
        return cancelled.Task;
    }
}
