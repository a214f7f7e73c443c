using StreamingClusters.Batching;
using StreamingClusters.Checkpoints;
using StreamingClusters.Publishing;
using StreamingClusters.Model;
using StreamingClusters.Seeding;

namespace StreamingClusters.MStep;

/// <summary>
/// The single writer of the model, a thin adapter between the batcher and an <see cref="IStreamingModel"/>:
/// each mini-batch goes to the model, whose step says what changed; the stage then accounts the points
/// to their sources, marks the snapshot due and lets the checkpoint cadence look at the clock.
/// </summary>
internal sealed class ModelStage : IBatchConsumer
{
    private readonly IStreamingModel _model;
    private readonly SourceLedger _ledger;
    private readonly ModelPublisher _publisher;
    private readonly CheckpointCadence? _checkpoints;
    private readonly ModelStageMonitor _monitor;
    private readonly TimeSpan _seedWhenQuiet;

    /// <summary>The points buffered when a pause last found too few to seed on; a new pause is acted on only once more have come.</summary>
    private int _quietBuffered;

    /// <summary>Creates the stage around its parts.</summary>
    /// <param name="model">The model.</param>
    /// <param name="ledger">The sources' accounting.</param>
    /// <param name="publisher">Snapshots and assignments.</param>
    /// <param name="checkpoints">When checkpoints are written, or null when they are off.</param>
    /// <param name="monitor">Logs and instruments.</param>
    /// <param name="seedWhenQuiet">How long a pause in the input seeds the model on a part-filled seeding buffer; zero waits for the buffer or the end of the input.</param>
    public ModelStage(IStreamingModel model, SourceLedger ledger, ModelPublisher publisher, CheckpointCadence? checkpoints, ModelStageMonitor monitor, TimeSpan seedWhenQuiet)
    {
        _model = model;
        _ledger = ledger;
        _publisher = publisher;
        _checkpoints = checkpoints;
        _monitor = monitor;
        _seedWhenQuiet = seedWhenQuiet;
    }

    /// <summary>Gets the model.</summary>
    public IStreamingModel Model => _model;

    /// <summary>Gets the room left in the seeding buffer, so that the model seeds on exactly its configured number of points.</summary>
    public int NextBatchLimit => _model.PointsToSeed is > 0 and int room ? room : int.MaxValue;

    /// <summary>
    /// Gets the pause after which a part-filled seeding buffer is seeded on, while there is one with new
    /// points; once seeded, the pause after which the batches taken since the last checkpoint are written
    /// to one (see <see cref="CheckpointCadence.DueIn"/>).
    /// </summary>
    public TimeSpan? QuietAfter => !_model.IsSeeded
        ? (_seedWhenQuiet > TimeSpan.Zero && _model.BufferedPoints > _quietBuffered ? _seedWhenQuiet : null)
        : _checkpoints?.DueIn;

    /// <summary>Publishes the snapshot of a model restored from its checkpoint, before any batch: the model is served as it was left.</summary>
    public void PublishRestored()
    {
        if (_model.IsSeeded)
        {
            _publisher.Current();
        }
    }

    /// <summary>Publishes the last batch's snapshot if it has not gone out yet; the batcher calls this before it waits for input.</summary>
    public void Idle() => _publisher.Flush();

    /// <summary>
    /// The input has paused. Once seeded: the checkpoint of the batches since the last one is written, if
    /// due. Before: the seeding buffer is part-filled (a stream shorter than the buffer, or one that has
    /// sent all it has for now), and the model seeds on what it has, as it would at the end of the input,
    /// if that holds at least k distinct points; else it waits for more.
    /// </summary>
    public void InputQuiet()
    {
        if (_model.IsSeeded)
        {
            _checkpoints?.WhenQuiet();
            return;
        }

        int buffered = _quietBuffered = _model.BufferedPoints;
        try
        {
            long started = _monitor.Start();
            if (buffered >= _model.Clusters && _model.Flush() is { } step)
            {
                _monitor.SeededOnPause(buffered, _seedWhenQuiet);
                Account(step, _ledger.Release([]), started);
                _publisher.Flush();
                return;
            }
        }
        catch (InsufficientDistinctPointsException)
        {
            // The buffer is kept as it was; more points may bring enough distinct ones.
        }

        _monitor.SeedingWaits(buffered, _model.Clusters);
    }

    /// <summary>Takes one mini-batch; the stage owns it from here and returns its buffer.</summary>
    /// <param name="batch">The batch.</param>
    public void Take(MiniBatch batch)
    {
        try
        {
            long started = _monitor.Start();
            ModelStep step;
            try
            {
                step = _model.Step(batch.Buffer, batch.Count, _publisher.PublishPending);
            }
            catch (InsufficientDistinctPointsException)
            {
                // The full seeding buffer holds fewer than k distinct points: it is kept, and seeding is
                // tried again as more come (the end of the input, with still too few, fails the run).
                _monitor.SeedingWaits(_model.BufferedPoints, _model.Clusters);
                _ledger.Hold(batch.Segments);
                return;
            }

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
        if (_checkpoints is null)
        {
            // Without checkpoints a point is committed once applied (a crash then loses what the model held).
            _ledger.Commit();
        }
        else
        {
            _checkpoints.AfterBatch();
        }
    }
}
