using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Publishing;
using StreamingClusters.Model;

namespace StreamingClusters.MStep;

/// <summary>
/// The single writer of the model, a thin adapter between the batcher and an <see cref="IStreamingModel"/>:
/// each mini-batch goes to the model, whose step says what changed; the stage then accounts the points
/// to their sources, marks the snapshot due and lets the checkpoint cadence look at the clock.
/// </summary>
internal sealed class ModelStage
{
    private readonly IStreamingModel _model;
    private readonly SourceLedger _ledger;
    private readonly ModelPublisher _publisher;
    private readonly CheckpointCadence? _checkpoints;
    private readonly ModelStageMonitor _monitor;

    /// <summary>Creates the stage around its parts.</summary>
    /// <param name="model">The model.</param>
    /// <param name="ledger">The sources' accounting.</param>
    /// <param name="publisher">Snapshots and assignments.</param>
    /// <param name="checkpoints">When checkpoints are written, or null when they are off.</param>
    /// <param name="monitor">Logs and instruments.</param>
    public ModelStage(IStreamingModel model, SourceLedger ledger, ModelPublisher publisher, CheckpointCadence? checkpoints, ModelStageMonitor monitor)
    {
        _model = model;
        _ledger = ledger;
        _publisher = publisher;
        _checkpoints = checkpoints;
        _monitor = monitor;
    }

    /// <summary>Gets the model.</summary>
    public IStreamingModel Model => _model;

    /// <summary>Gets the snapshot publisher's flush, which the batcher calls before it waits for input.</summary>
    public Action PublishPending => _publisher.PublishPending;

    /// <summary>Takes one mini-batch; the stage owns it from here and returns its buffer.</summary>
    /// <param name="batch">The batch.</param>
    public void Take(MiniBatch batch)
    {
        try
        {
            long started = _monitor.Start();
            ModelStep step = _model.Step(batch.Buffer, batch.Count, _publisher.PublishPending);
            if (step.Kind == ModelStepKind.Buffered)
            {
                _ledger.Hold(batch.Segments);
                return;
            }

            Account(step, _ledger.Release(batch.Segments), started);
        }
        finally
        {
            batch.Return();
        }
    }

    /// <summary>Applies whatever is still buffered and publishes the final snapshot.</summary>
    public void Complete()
    {
        long started = _monitor.Start();
        if (_model.Flush() is { } step)
        {
            Account(step, _ledger.Release([]), started);
        }

        // The last batch's snapshot (also one seeded and applied just now) comes before the final one.
        _publisher.Flush();
        if (_model.IsSeeded)
        {
            _checkpoints?.Final();
            _publisher.Final();
        }
    }

    /// <summary>
    /// Ends a drain abandoned at a batch boundary: what is still buffered for seeding is dropped, not
    /// applied; the final snapshot is published of what was applied.
    /// </summary>
    /// <returns>The points dropped from the seeding buffer.</returns>
    public long CompleteAbandoned()
    {
        _publisher.Flush();
        long dropped = _model.DropBuffered();
        _ledger.DropHeld();
        if (_model.IsSeeded)
        {
            _checkpoints?.Abandoned();
            _publisher.Final();
        }

        return dropped;
    }

    /// <summary>Stops the E-step's helper threads; called once the stage has taken its last batch, or has failed.</summary>
    public void Stop() => _model.Stop();

    private void Account(ModelStep step, IReadOnlyList<BatchSegment> segments, long started)
    {
        if (step.Update is { } update)
        {
            _ledger.Applied(segments);
            _publisher.Assignments(_model, update.Version - 1);
        }
        else if (step.Refusal is { } refusal)
        {
            _ledger.Refused(segments, _model.StepPoints, _model.Dimensions, refusal.Message);
        }

        _ledger.Reached(segments);
        if (step.Points > 0)
        {
            _publisher.BatchTaken();
        }

        _monitor.Stepped(_model, step, started);
        _checkpoints?.AfterBatch();
    }
}
