using Microsoft.Extensions.Logging;
using StreamingClusters.Diagnostics;
using StreamingClusters.Model;

namespace StreamingClusters.MStep;

/// <summary>What the model stage tells its logs and instruments about each step.</summary>
/// <param name="logger">The stage's log.</param>
/// <param name="metrics">The pipeline's instruments.</param>
/// <param name="time">The clock of the batch durations.</param>
internal sealed class ModelStageMonitor(ILogger logger, StreamingClustersMetrics metrics, TimeProvider time)
{
    /// <summary>Starts timing a step.</summary>
    /// <returns>The clock's timestamp.</returns>
    public long Start() => time.GetTimestamp();

    /// <summary>Logs what the model waits for before it seeds (once, as the stage starts).</summary>
    /// <param name="bufferSize">The seeding buffer's size.</param>
    /// <param name="seedWhenQuiet">The pause that seeds a part-filled buffer; zero for none.</param>
    public void AwaitingSeeding(int bufferSize, TimeSpan seedWhenQuiet)
    {
        if (seedWhenQuiet > TimeSpan.Zero)
        {
            MStepLog.AwaitingSeeding(logger, bufferSize, seedWhenQuiet.TotalSeconds);
        }
        else
        {
            MStepLog.AwaitingFullSeeding(logger, bufferSize);
        }
    }

    /// <summary>Logs a seeding on a part-filled buffer after a pause in the input.</summary>
    /// <param name="points">The points seeded on.</param>
    /// <param name="pause">The pause.</param>
    public void SeededOnPause(int points, TimeSpan pause) => MStepLog.SeedingOnPause(logger, pause.TotalSeconds, points);

    /// <summary>Logs that the seeding buffer holds too few distinct points to seed on.</summary>
    /// <param name="points">The points buffered.</param>
    /// <param name="clusters">k.</param>
    public void SeedingWaits(int points, int clusters) => MStepLog.SeedingWaits(logger, points, clusters);

    /// <summary>Logs and counts one step of the model.</summary>
    /// <param name="model">The model, just stepped.</param>
    /// <param name="step">What the step did.</param>
    /// <param name="started">When the step started (<see cref="Start"/>).</param>
    public void Stepped(IStreamingModel model, ModelStep step, long started)
    {
        if (step.Seeded)
        {
            MStepLog.Seeded(logger, model.Clusters, step.Points);
        }

        if (step.Refusal is { } refusal)
        {
            MStepLog.UpdateRefused(logger, refusal, step.Points);
        }

        if (step.Update is { } update)
        {
            foreach (ReseedEvent reseed in update.Reseeds)
            {
                MStepLog.Reseeded(logger, reseed.Cluster, reseed.PreviousWeight, update.Version);
            }
        }

        if (step.Kind != ModelStepKind.Buffered && step.Points > 0)
        {
            metrics.BatchApplied(time.GetElapsedTime(started), model.LastUpdate?.Reseeds.Count ?? 0);
        }
    }
}
