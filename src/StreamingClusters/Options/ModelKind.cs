namespace StreamingClusters.Options;

/// <summary>The model a pipeline learns (<see cref="StreamingClustersOptions.Model"/>).</summary>
public enum ModelKind
{
    /// <summary>Streaming mini-batch k-means: hard EM on unit spheres of equal priors.</summary>
    KMeans,

    /// <summary>Streaming soft EM for a Gaussian mixture with diagonal covariances and learnt priors.</summary>
    GaussianMixture,
}

/// <summary>The names of <see cref="ModelKind"/> in settings and switches.</summary>
public static class ModelKinds
{
    /// <summary>Reads a model: <c>KMeans</c> (or <c>k-means</c>) or <c>GaussianMixture</c> (or <c>gmm</c>), in any case.</summary>
    /// <param name="text">The setting's value.</param>
    /// <param name="kind">The model, when it is one.</param>
    /// <returns>Whether <paramref name="text"/> names a model.</returns>
    public static bool TryParse(string? text, out ModelKind kind)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "KMEANS" or "K-MEANS":
                kind = ModelKind.KMeans;
                return true;
            case "GAUSSIANMIXTURE" or "GMM":
                kind = ModelKind.GaussianMixture;
                return true;
            default:
                kind = ModelKind.KMeans;
                return false;
        }
    }
}
