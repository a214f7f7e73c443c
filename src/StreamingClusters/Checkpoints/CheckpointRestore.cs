using Microsoft.Extensions.Logging;
using StreamingClusters.Ingest;
using StreamingClusters.Options;

namespace StreamingClusters.Checkpoints;

/// <summary>Loads the checkpoint a run goes on from and checks that it fits the configuration.</summary>
internal static class CheckpointRestore
{
    /// <summary>
    /// Loads the checkpoint, if one is configured and not refused on purpose, checks its shape against
    /// the configuration, and restores each source's totals before any source starts.
    /// </summary>
    /// <param name="store">Where checkpoints are, or null when they are off.</param>
    /// <param name="options">The configuration.</param>
    /// <param name="ingest">The ingest whose dimension and source totals are set from the checkpoint.</param>
    /// <param name="logger">Where the restore is noted.</param>
    /// <param name="section">
    /// The section the settings are named under in a refusal: <c>StreamingClusters</c> for the model of the
    /// top-level settings, <c>StreamingClusters:Models:{name}</c> for a named model.
    /// </param>
    /// <returns>The checkpoint, or null to start afresh.</returns>
    /// <exception cref="CheckpointException">The checkpoint does not fit the configuration.</exception>
    public static Checkpoint? Load(CheckpointStore? store, StreamingClustersOptions options, IngestStage ingest, ILogger logger, string section = StreamingClustersOptions.SectionName)
    {
        // The command-line switches set the top-level settings only.
        bool top = section == StreamingClustersOptions.SectionName;
        if (store is null || options.Checkpoint.StartFresh)
        {
            return null;
        }

        Checkpoint? checkpoint = store.Load();
        if (checkpoint is null)
        {
            return null;
        }

        int k = checkpoint.Model.Settings.Clusters;
        int d = checkpoint.Model.Settings.Dimensions;
        if (k != options.Clusters || (options.Dimensions != 0 && d != options.Dimensions) || (ingest.Dimensions.Dimensions != 0 && ingest.Dimensions.Dimensions != d))
        {
            throw new CheckpointException(
                $"The checkpoint '{store.Path}' holds a model of k = {k}, d = {d}, but the configuration asks for k = {options.Clusters}, d = {(options.Dimensions == 0 ? "from the data" : options.Dimensions)} " +
                $"({section}:Clusters, {section}:Dimensions). Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).");
        }

        bool mixture = checkpoint.Mixture is not null;
        if (mixture != (options.ParsedModel == ModelKind.GaussianMixture))
        {
            throw new CheckpointException(
                $"The checkpoint '{store.Path}' holds a {(mixture ? "Gaussian mixture (model 'GaussianMixture')" : "k-means model (model 'KMeans')")}, " +
                $"but the configuration asks for model '{options.Model}' ({section}:Model{(top ? ", --model" : "")}). " +
                "Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).");
        }

        if (checkpoint.Mixture is { } parameters && (parameters.Variances?.Length != k * d || parameters.Priors?.Length != k))
        {
            throw new CheckpointException($"The checkpoint '{store.Path}' holds a mixture that does not have k × d = {k * d} variances and k = {k} priors. Nothing was started.");
        }

        bool scaled = checkpoint.Scaling is not null;
        if (scaled != (options.ParsedScaling == ScalingMode.Standardize))
        {
            throw new CheckpointException(
                $"The checkpoint '{store.Path}' holds a model built in {(scaled ? "standardized columns (scaling 'standardize')" : "columns as they came (scaling 'none')")}, " +
                $"but the configuration asks for scaling '{options.Scaling}' ({section}:Scaling{(top ? ", --scaling" : "")}). " +
                "Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).");
        }

        if (checkpoint.Scaling is { } scaling && (scaling.Mean?.Length != d || scaling.Std?.Length != d))
        {
            throw new CheckpointException($"The checkpoint '{store.Path}' holds a scaling that does not have d = {d} means and spreads. Nothing was started.");
        }

        ingest.Dimensions.Propose(d);
        foreach (SourceCheckpoint source in checkpoint.Sources)
        {
            ingest.Counters(source.Name).Restore(source.Records, source.Rejected, source.Applied);
        }

        PipelineLog.Restored(logger, store.Path, checkpoint.Model.Version, checkpoint.Model.PointsApplied);
        return checkpoint;
    }
}
