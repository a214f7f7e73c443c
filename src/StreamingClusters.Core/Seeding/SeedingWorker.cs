namespace StreamingClusters.Seeding;

/// <summary>One k-means++ thread's share of a pick: its buffers and the best candidate it has weighed.</summary>
internal sealed class SeedingWorker(int n, int d)
{
    /// <summary>Candidates weighed side by side (<see cref="SeedDistances.Lower4"/>).</summary>
    private const int Group = 4;

    private double[] _trial = new double[n];
    private readonly double[][] _trials = [.. Enumerable.Range(0, Group).Select(_ => new double[n])];
    private readonly double[] _targets = new double[Group * d];

    public double[] Best { get; set; } = new double[n];

    public double[] Target { get; } = new double[d];

    public double BestPotential { get; private set; }

    public int BestTry { get; private set; }

    /// <summary>Weighs candidates <paramref name="from"/>, <paramref name="from"/> + <paramref name="step"/>, … in order, keeping the first of least potential.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Weigh(double[] columns, ReadOnlySpan<float> points, int[] drawn, int from, int step, double[] closest)
    {
        int d = Target.Length;
        int n = _trial.Length;
        BestPotential = double.PositiveInfinity;
        BestTry = int.MaxValue;
        Span<double> sums = stackalloc double[Group];
        int t = from;
        if ((Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated) && n >= 8)
        {
            for (; t + ((Group - 1) * step) < drawn.Length; t += Group * step)
            {
                for (int g = 0; g < Group; g++)
                {
                    ReadOnlySpan<float> y = points.Slice(drawn[t + (g * step)] * d, d);
                    for (int j = 0; j < d; j++)
                    {
                        _targets[(g * d) + j] = y[j];
                    }
                }

                SeedDistances.Lower4(columns, n, d, _targets, closest, _trials, sums);
                for (int g = 0; g < Group; g++)
                {
                    if (sums[g] < BestPotential)
                    {
                        BestPotential = sums[g];
                        BestTry = t + (g * step);
                        (Best, _trials[g]) = (_trials[g], Best);
                    }
                }
            }
        }

        for (; t < drawn.Length; t += step)
        {
            double potential = SeedDistances.Lower(columns, n, d, points.Slice(drawn[t] * d, d), closest, _trial, Target);
            if (potential < BestPotential)
            {
                BestPotential = potential;
                BestTry = t;
                (Best, _trial) = (_trial, Best);
            }
        }
    }
}
