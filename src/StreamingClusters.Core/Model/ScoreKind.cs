namespace StreamingClusters.Model;

/// <summary>What a model's per-point score is (<see cref="IStreamingModel.ScoreKind"/>).</summary>
public enum ScoreKind
{
    /// <summary>The squared distance to the nearest centroid (k-means): lower is more typical.</summary>
    SquaredDistance,

    /// <summary>The log-likelihood log p(x) under the mixture, in nats: higher is more typical; −log p(x) is the anomaly score.</summary>
    LogLikelihood,
}
