namespace StreamingClusters.Worker;

/// <summary>The worker's exit codes, as <c>--help</c> lists them.</summary>
internal static class ExitCodes
{
    /// <summary>The run finished: its input ended and was learned, or a service was stopped.</summary>
    public const int Success = 0;

    /// <summary>The run failed while it ran (a source or a checkpoint could not be read or written, a drain was abandoned).</summary>
    public const int Failed = 1;

    /// <summary>Nothing was started: a switch or setting was refused, or no input was given.</summary>
    public const int Refused = 2;

    /// <summary>The input ended and nothing was learned from it (no record, every record rejected, too few distinct points).</summary>
    public const int LearnedNothing = 3;

    /// <summary>A finite input was stopped by SIGINT (Ctrl-C) before it ended: 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>A finite input was stopped by SIGTERM before it ended: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>Gets the lines <c>--help</c> prints.</summary>
    public static string Help =>
        """
        Exit codes:
          0    the input ended and was learned, or a service (--urls, --follow) was stopped
          1    the run failed while it ran (a source or checkpoint error, a drain cut short)
          2    nothing was started: a switch or setting was refused, or no input was given
          3    the input ended and nothing was learned from it (no record, or every record rejected)
          130  stopped by Ctrl-C (SIGINT) before the input ended; 143 for SIGTERM. The model so far is
               still written (--snapshot-out, --checkpoint)

        """;
}
