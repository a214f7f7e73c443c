using StreamingClusters.Model;

namespace StreamingClusters.Models;

/// <summary>The scores of a block of points against one model version (<see cref="IModelHandle.ScoreAsync"/>).</summary>
/// <param name="Version">The model version used.</param>
/// <param name="Kind">What <paramref name="Scores"/> are: squared distances (k-means) or log-likelihoods (a mixture).</param>
/// <param name="Clusters">Each point's nearest cluster, or most likely component.</param>
/// <param name="Scores">Each point's score.</param>
/// <param name="Responsibilities">Each point's responsibility of its cluster (1 for k-means).</param>
#pragma warning disable CA1819 // Plain data that crosses a process boundary: arrays, not views.
public sealed record ModelScores(long Version, ScoreKind Kind, int[] Clusters, float[] Scores, float[] Responsibilities);
#pragma warning restore CA1819
