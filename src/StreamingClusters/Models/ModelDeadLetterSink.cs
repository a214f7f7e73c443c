using StreamingClusters.Ingest;
using StreamingClusters.Sinks;

namespace StreamingClusters.Models;

/// <summary>A named model's dead letters: the service's sink, each record tagged with the model (<see cref="RejectedRecord.Model"/>).</summary>
/// <param name="inner">The service's sink.</param>
/// <param name="model">The model's name.</param>
internal sealed class ModelDeadLetterSink(IDeadLetterSink inner, string model) : IDeadLetterSink
{
    /// <inheritdoc/>
    public void Write(in RejectedRecord record) => inner.Write(record with { Model = model });

    /// <inheritdoc/>
    public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
