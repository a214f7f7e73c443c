namespace StreamingClusters.Checkpoints;

/// <summary>The steps of a checkpoint write, in order; a process killed after any of them still leaves a good checkpoint.</summary>
internal enum CheckpointWriteStage
{
    /// <summary>Part of the temporary file is written (not yet flushed to disk): a kill now leaves it torn.</summary>
    TemporaryPartlyWritten,

    /// <summary>The temporary file is complete and on disk; the checkpoint in place is still the old one.</summary>
    TemporaryWritten,

    /// <summary>The old checkpoint is now <c>.prev</c> and the new one is not in place yet: a restart falls back to <c>.prev</c>.</summary>
    PreviousMoved,
}
