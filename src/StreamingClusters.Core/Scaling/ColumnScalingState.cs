namespace StreamingClusters.Scaling;

/// <summary>
/// A fitted column standardisation as plain data (what a checkpoint and a snapshot carry): each column
/// becomes (x − mean) / std before the E-step.
/// </summary>
/// <param name="Mean">Each column's mean over the seeding buffer.</param>
/// <param name="Std">Each column's standard deviation over the seeding buffer; 1 for a constant column.</param>
#pragma warning disable CA1819 // Plain data for serialisation.
public sealed record ColumnScalingState(double[] Mean, double[] Std);
#pragma warning restore CA1819
