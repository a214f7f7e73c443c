namespace StreamingClusters.Checkpoints;

/// <summary>Where and how often the model's state is saved, and how a restart uses it.</summary>
public sealed class CheckpointOptions
{
    /// <summary>Gets or sets the checkpoint file; empty turns checkpoints off. The previous one is kept beside it as <c>PATH.prev</c>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets the least time between two checkpoints; zero writes one after every batch that ends on a block boundary.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets whether to ignore an existing checkpoint and start fresh (it is overwritten by the next one).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool StartFresh { get; set; }

    /// <summary>Gets or sets a hook called at each step of a checkpoint write, for fault tests only (see <see cref="CheckpointStore"/>).</summary>
    internal Action<CheckpointWriteStage, string>? StageReached { get; set; }
}
