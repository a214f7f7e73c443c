
namespace StreamingClusters.Model;

/// <summary>What a streaming model did with one batch.</summary>
public enum ModelStepKind
{
    /// <summary>The points were kept in the seeding buffer; the model has not changed.</summary>
    Buffered,

    /// <summary>The points were applied (with the seeding buffer, when the model was seeded in this step).</summary>
    Applied,

    /// <summary>The update would have made the model non-finite: it was refused and its points are rejected.</summary>
    Refused,
}

/// <summary>What one call of <see cref="IStreamingModel.Step"/> or <see cref="IStreamingModel.Flush"/> changed.</summary>
/// <param name="Kind">What happened to the points.</param>
/// <param name="Points">
/// The points concerned: buffered, applied or refused; when the model was seeded in this step, every
/// buffered point (they are applied as one batch, in the order they came).
/// </param>
/// <param name="Seeded">Whether the model was seeded in this step.</param>
/// <param name="Update">The M-step's account when the points were applied; null otherwise or for an empty batch.</param>
/// <param name="Refusal">Why the update was refused, when it was.</param>
public readonly record struct ModelStep(ModelStepKind Kind, int Points, bool Seeded, ModelUpdate? Update, NonFiniteModelException? Refusal)
{
    /// <summary>Gets a value indicating whether the model has changed (a new version).</summary>
    public bool Changed => Update is not null;
}
