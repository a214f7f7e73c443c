namespace StreamingClusters.Checkpoints;

/// <summary>A checkpoint could not be used: unreadable, corrupt, or for another model shape. Nothing was started from it.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    /// <param name="inner">The underlying failure, if any.</param>
    public CheckpointException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
