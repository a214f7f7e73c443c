using StreamingClusters.EStep;

namespace StreamingClusters.Benchmarks;

/// <summary>One benchmark input: n random points and k random centroids in d dimensions.</summary>
public sealed class Shape
{
    /// <summary>Points per invocation; the same count the numpy comparison uses.</summary>
    public const int DefaultPoints = 4096;

    public Shape(int dimensions, int clusters, int points = DefaultPoints, int seed = 12345)
    {
        Dimensions = dimensions;
        Clusters = clusters;
        Count = points;
        var random = new Random(seed);
        Points = new float[points * dimensions];
        for (int i = 0; i < Points.Length; i++)
        {
            Points[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var centroids = new double[clusters * dimensions];
        for (int i = 0; i < centroids.Length; i++)
        {
            centroids[i] = (random.NextDouble() * 2) - 1;
        }

        Model = new CentroidSet(centroids, clusters);
        Nearest = new int[points];
        Scores = new float[points];
        SquaredNorms = new float[points];
        for (int i = 0; i < points; i++)
        {
            SquaredNorms[i] = HardEStep.SquaredNorm(Points.AsSpan(i * dimensions, dimensions));
        }
    }

    public int Dimensions { get; }

    public int Clusters { get; }

    public int Count { get; }

    public float[] Points { get; }

    public CentroidSet Model { get; }

    public int[] Nearest { get; }

    public float[] Scores { get; }

    /// <summary>Gets ‖x‖² of each point, which HardEStep computes anyway and hands to the kernel.</summary>
    public float[] SquaredNorms { get; }

    /// <summary>Gets the flops of one hard E-step pass: 2·d·k per point.</summary>
    public double FlopsPerPoint => 2.0 * Dimensions * Clusters;
}
