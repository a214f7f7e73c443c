using StreamingClusters.EStep;

namespace StreamingClusters.Model;

/// <summary>
/// A model kept up to date over a stream, one batch at a time: it buffers the first points and seeds
/// on them, then for each batch runs the E-step against its current version, discounts the past,
/// applies the M-step and its repairs, and counts each cluster's points. What the stage, the checkpoint
/// and the snapshot know of a model is this; k-means is one class behind it, a mixture another.
/// Not thread-safe: one writer steps it; any thread may read <see cref="Current"/>.
/// </summary>
public interface IStreamingModel
{
    /// <summary>Gets the number of clusters k.</summary>
    int Clusters { get; }

    /// <summary>Gets the dimension d.</summary>
    int Dimensions { get; }

    /// <summary>Gets a value indicating whether the model has parameters (seeded, configured or restored).</summary>
    bool IsSeeded { get; }

    /// <summary>Gets the number of M-steps applied so far.</summary>
    long Version { get; }

    /// <summary>Gets the version scorers read, from any thread; null before seeding.</summary>
    CentroidSet? Current { get; }

    /// <summary>Gets the version of <see cref="Current"/>, from any thread, without making it; null before seeding.</summary>
    long? CurrentVersion { get; }

    /// <summary>Gets the centroids (the means), k × d, row-major.</summary>
    ReadOnlySpan<double> Centroids { get; }

    /// <summary>Gets each cluster's (discounted) weight.</summary>
    ReadOnlySpan<double> Weights { get; }

    /// <summary>Gets each cluster's (discounted) share of the objective.</summary>
    ReadOnlySpan<double> Inertia { get; }

    /// <summary>Gets the points assigned to each cluster since it got its id (a reseeded slot starts again from 0).</summary>
    ReadOnlySpan<long> Counts { get; }

    /// <summary>Gets each slot's cluster id; an id is never reused.</summary>
    ReadOnlySpan<long> Ids { get; }

    /// <summary>Gets what a point's score is: for k-means its squared distance, for a mixture its log-likelihood.</summary>
    ScoreKind ScoreKind => ScoreKind.SquaredDistance;

    /// <summary>Gets each cluster's variances, k × d, row-major; empty for k-means (whose clusters are unit spheres).</summary>
    ReadOnlySpan<double> Variances => [];

    /// <summary>Gets each cluster's prior; empty for k-means (whose priors are uniform).</summary>
    ReadOnlySpan<double> Priors => [];

    /// <summary>Gets the stream's discounted mean log-likelihood per point; null for k-means, and before any point is applied.</summary>
    double? MeanLogLikelihood => null;

    /// <summary>Gets the columns' scaling the model assigns in, once learnt; null for a model of the columns as they come.</summary>
    Scaling.ColumnScaling? Scaling => null;

    /// <summary>Gets the latest changes of ids (seeding, reseeds, repairs), oldest first, those restored from a checkpoint included.</summary>
    IReadOnlyCollection<ClusterEvent> RecentEvents { get; }

    /// <summary>Gets the last update applied, or null if none was since the model was made or restored.</summary>
    ModelUpdate? LastUpdate { get; }

    /// <summary>Gets the points buffered for seeding.</summary>
    int BufferedPoints { get; }

    /// <summary>
    /// Gets how many more points the seeding buffer takes before the model seeds on it; 0 once seeded, or
    /// once the buffer is full but held too few distinct points to seed on (every batch then tries again).
    /// A batch of at most this many points keeps the buffer to its configured size.
    /// </summary>
    int PointsToSeed { get; }

    /// <summary>
    /// Gets the points of the last step that applied or refused points (the seeding buffer when it was
    /// seeded), row-major; read them before the batch's buffer is handed back.
    /// </summary>
    ReadOnlySpan<float> StepPoints { get; }

    /// <summary>Gets each of <see cref="StepPoints"/>' most likely cluster, when they were applied.</summary>
    ReadOnlySpan<int> StepLabels { get; }

    /// <summary>Gets each of <see cref="StepPoints"/>' score (for k-means its squared distance), when they were applied.</summary>
    ReadOnlySpan<float> StepScores { get; }

    /// <summary>Scores points against <see cref="Current"/>, from any thread: each one's most likely cluster and its score.</summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="labels">n slots for each point's cluster.</param>
    /// <param name="scores">n slots for each point's score (for k-means its squared distance).</param>
    /// <returns>The version scored against.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores);

    /// <summary>
    /// Scores points against <see cref="Current"/>, from any thread, with the responsibility of each one's most
    /// likely cluster (the posterior p(t = c | x); 1 under k-means' hard assignment).
    /// </summary>
    /// <param name="points">n × d values, row-major.</param>
    /// <param name="labels">n slots for each point's most likely cluster.</param>
    /// <param name="scores">n slots for each point's score (<see cref="ScoreKind"/>).</param>
    /// <param name="responsibilities">n slots for the responsibility of each point's most likely cluster, or empty.</param>
    /// <returns>The version scored against.</returns>
    /// <exception cref="InvalidOperationException">The model is not seeded yet.</exception>
    long Score(ReadOnlySpan<float> points, Span<int> labels, Span<float> scores, Span<float> responsibilities)
    {
        long version = Score(points, labels, scores);
        if (!responsibilities.IsEmpty)
        {
            responsibilities[..(points.Length / Dimensions)].Fill(1);
        }

        return version;
    }

    /// <summary>Takes one batch: buffers it until the model is seeded, applies it afterwards.</summary>
    /// <param name="points">The batch buffer, row-major; read during the call only.</param>
    /// <param name="count">The number of points in it.</param>
    /// <param name="meanwhile">Work of the caller's run exactly once during the E-step (see <see cref="IEStepRunner{TWork, TStatistics}.Run"/>).</param>
    /// <returns>What changed.</returns>
    ModelStep Step(float[] points, int count, Action? meanwhile = null);

    /// <summary>Seeds on whatever is buffered and applies it (the stream has ended, or paused, inside the seeding buffer).</summary>
    /// <returns>What changed, or null when nothing was buffered.</returns>
    /// <exception cref="Seeding.InsufficientDistinctPointsException">The buffer holds fewer than k distinct points; it is kept as it was.</exception>
    ModelStep? Flush();

    /// <summary>Drops the seeding buffer unapplied.</summary>
    /// <returns>The points dropped.</returns>
    int DropBuffered();

    /// <summary>Takes the model's whole state.</summary>
    /// <returns>Copies of everything needed to go on.</returns>
    StreamingModelState ToState();

    /// <summary>Stops the E-step's threads; a later step starts them again.</summary>
    void Stop();
}
