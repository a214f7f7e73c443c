using System.Globalization;
using StreamingClusters.Checkpoints;
using StreamingClusters.Options;

namespace StreamingClusters.Worker;

/// <summary>
/// A seam for fault tests only: with <c>STREAMINGCLUSTERS_FAULT_CHECKPOINT_PAUSE=STAGE:N</c> the worker,
/// at the N-th checkpoint write that reaches STAGE (TemporaryPartlyWritten, TemporaryWritten or
/// PreviousMoved), prints <c>checkpoint-paused STAGE PATH</c> to standard error and stops right there,
/// so a test can kill the process in the middle of a checkpoint write for certain. Unset in production.
/// </summary>
internal static class CheckpointFaultPause
{
    public const string Variable = "STREAMINGCLUSTERS_FAULT_CHECKPOINT_PAUSE";

    /// <summary>Installs the pause when the variable is set; refuses a value it cannot read.</summary>
    /// <param name="options">The bound options.</param>
    public static void Apply(StreamingClustersOptions options)
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        string[] parts = value.Split(':');
        if (parts.Length != 2
            || !Enum.TryParse(parts[0], ignoreCase: false, out CheckpointWriteStage stage)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int nth) || nth < 1)
        {
            throw new InvalidOperationException($"{Variable} must be STAGE:N with STAGE one of {string.Join(", ", Enum.GetNames<CheckpointWriteStage>())} and N ≥ 1 (got '{value}').");
        }

        int seen = 0;
        options.Checkpoint.StageReached = (reached, path) =>
        {
            if (reached != stage || ++seen != nth)
            {
                return;
            }

            Console.Error.WriteLine($"checkpoint-paused {reached} {path}");
            Console.Error.Flush();
            // Held here until the test kills the process; nothing else in it waits for this thread.
            new ManualResetEventSlim(false).Wait();
        };
    }
}
