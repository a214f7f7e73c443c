using Microsoft.Extensions.Logging;
using StreamingClusters.MStep;
using StreamingClusters.Model;

namespace StreamingClusters.Checkpoints;

/// <summary>
/// When the model stage writes a checkpoint: after a batch, once the interval has passed and the model
/// and the source positions agree (the batch ended on a block boundary); and at the end of the run.
/// </summary>
internal sealed class CheckpointCadence
{
    private readonly CheckpointStore _store;
    private readonly IStreamingModel _model;
    private readonly SourceLedger _ledger;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;

    /// <summary>When the last checkpoint was written (or the stage started), in the clock's timestamps.</summary>
    private long _lastWritten;

    /// <summary>Set once a batch has been taken that no checkpoint holds yet.</summary>
    private bool _pending;

    /// <summary>Creates the cadence; the interval counts from now.</summary>
    /// <param name="store">Where checkpoints go.</param>
    /// <param name="model">The model whose state they hold.</param>
    /// <param name="ledger">The source positions they hold.</param>
    /// <param name="time">The clock of the interval and the timestamps.</param>
    /// <param name="interval">The least time between two checkpoints of a running stream.</param>
    /// <param name="logger">Where a kept checkpoint is noted.</param>
    public CheckpointCadence(CheckpointStore store, IStreamingModel model, SourceLedger ledger, TimeProvider time, TimeSpan interval, ILogger logger)
    {
        _store = store;
        _model = model;
        _ledger = ledger;
        _time = time;
        _interval = interval;
        _logger = logger;
        _lastWritten = time.GetTimestamp();
    }

    /// <summary>Writes a checkpoint if the interval has passed and the positions agree with the model.</summary>
    public void AfterBatch()
    {
        _pending = true;
        WriteIfDue();
    }

    /// <summary>
    /// Gets how long a pause in the input must last before <see cref="WhenQuiet"/> writes the checkpoint of
    /// the batches taken since the last one; null when there are none (or the positions do not agree with
    /// the model). Without it, the last batches before a pause would wait for the next batch to be held by
    /// a checkpoint — and a source that acknowledges only what a checkpoint holds (MQTT) may be waiting for
    /// exactly that before it gets more input.
    /// </summary>
    public TimeSpan? DueIn
    {
        get
        {
            if (!_pending || !_ledger.Aligned)
            {
                return null;
            }

            TimeSpan left = _interval - _time.GetElapsedTime(_lastWritten);
            return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
        }
    }

    /// <summary>The input has paused: writes the checkpoint of the batches taken since the last one, if due.</summary>
    public void WhenQuiet() => WriteIfDue();

    private void WriteIfDue()
    {
        if (_pending && _ledger.Aligned && _time.GetElapsedTime(_lastWritten) >= _interval)
        {
            Write();
            _lastWritten = _time.GetTimestamp();
        }
    }

    /// <summary>Writes the checkpoint of a drained run.</summary>
    public void Final() => Write();

    /// <summary>
    /// Writes the checkpoint of an abandoned drain only where the model and the positions agree, so it
    /// never claims points the model does not hold nor holds points a replay would apply again;
    /// otherwise the last one stays in place.
    /// </summary>
    public void Abandoned()
    {
        if (_ledger.Aligned)
        {
            Write();
        }
        else
        {
            MStepLog.CheckpointKept(_logger);
        }
    }

    /// <summary>Writes a checkpoint; once it is on disk, the sources that acknowledge may acknowledge what it holds.</summary>
    private void Write()
    {
        Checkpoint checkpoint = Checkpoint();
        if (_store.Write(checkpoint))
        {
            _pending = false;
            _ledger.Commit(checkpoint.Sources);
        }
    }

    private Checkpoint Checkpoint()
    {
        StreamingModelState state = _model.ToState();
        return new()
        {
            Model = state.Model,
            Counts = state.Counts,
            LastApplied = state.LastApplied ?? _time.GetUtcNow(),
            Scaling = state.Scaling,
            Mixture = state.Mixture,
            Sources = _ledger.Positions(),
            Written = _time.GetUtcNow(),
        };
    }
}
