using StreamingClusters.Model;

namespace StreamingClusters.Publishing;

/// <summary>
/// The one place that decides when a snapshot goes out. After each batch taken, the batch's snapshot is
/// pending; it goes out at the first of: the next batch's E-step waiting for a helper's shard (the model
/// does not change until that E-step is over, so it is the same snapshot), the batcher about to wait
/// for input, or the end of the run. Never later than the next batch, never held back while the stream
/// is idle, every version once and in order. Also numbers and publishes each batch's assignments.
/// </summary>
internal sealed class ModelPublisher
{
    private readonly SnapshotPublisher _snapshots;
    private readonly AssignmentPublisher _assignments;
    private readonly SnapshotBuilder _builder;
    private long _assignmentSequence;

    /// <summary>Whether the last batch's snapshot is still to be published.</summary>
    private bool _pending;

    /// <summary>Creates the publisher.</summary>
    /// <param name="snapshots">Where snapshots go.</param>
    /// <param name="assignments">Where assignments go.</param>
    /// <param name="builder">Builds each snapshot.</param>
    public ModelPublisher(SnapshotPublisher snapshots, AssignmentPublisher assignments, SnapshotBuilder builder)
    {
        _snapshots = snapshots;
        _assignments = assignments;
        _builder = builder;
        PublishPending = Flush;
    }

    /// <summary>Gets <see cref="Flush"/> as one delegate, made once (the E-step and the batcher call it for every batch).</summary>
    public Action PublishPending { get; }

    /// <summary>Marks the snapshot of the batch just taken as pending.</summary>
    public void BatchTaken() => _pending = true;

    /// <summary>Publishes the pending snapshot, if any.</summary>
    public void Flush()
    {
        if (_pending)
        {
            _pending = false;
            _snapshots.Publish(_builder.Build(isFinal: false));
        }
    }

    /// <summary>Publishes the snapshot of the model as it stands (a restored model's, before any batch).</summary>
    public void Current() => _snapshots.Publish(_builder.Build(isFinal: false));

    /// <summary>Publishes the final snapshot (after <see cref="Flush"/>: the last batch's goes out first).</summary>
    public void Final() => _snapshots.Publish(_builder.Build(isFinal: true));

    /// <summary>Publishes the assignments of the points the model has just applied, if anyone listens.</summary>
    /// <param name="model">The model, just stepped.</param>
    /// <param name="assignedAgainst">The version the points were assigned against.</param>
    public void Assignments(IStreamingModel model, long assignedAgainst)
    {
        if (_assignments.HasSubscribers)
        {
            _assignments.Publish(new AssignmentBlock
            {
                Sequence = ++_assignmentSequence,
                Version = assignedAgainst,
                Dimensions = model.Dimensions,
                Points = model.StepPoints.ToArray(),
                Clusters = model.StepLabels.ToArray(),
                SquaredDistances = model.ScoreKind == ScoreKind.SquaredDistance ? model.StepScores.ToArray() : ReadOnlyMemory<float>.Empty,
                LogLikelihoods = model.ScoreKind == ScoreKind.LogLikelihood ? model.StepScores.ToArray() : ReadOnlyMemory<float>.Empty,
            });
        }
    }
}
