using StreamingClusters.Cluster.Ingest;
using StreamingClusters.Mixture;

namespace StreamingClusters.Cluster.Tests;

public sealed class MixtureMomentsTests
{
    [Fact]
    public void MoveAbout_OtherMeans_TheMomentsAboutThem()
    {
        // Two components, d = 2; each point wholly in one component, so the moments can be taken by hand.
        double[][] points = [[1, 2], [3, 5], [-2, 0.5], [10, 11], [12, 9]];
        int[] component = [0, 0, 0, 1, 1];
        double[] a = [0.5, 1, 11, 10];
        double[] b = [1.25, 2.5, 10.5, 9.75];
        MixtureStatistics aboutA = Moments(points, component, a);
        MixtureStatistics aboutB = Moments(points, component, b);

        MixtureMoments.MoveAbout(aboutA, a, b);

        Assert.Equal(aboutB.Mass.ToArray(), aboutA.Mass.ToArray());
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(aboutB.First[i], aboutA.First[i], 1e-12);
            Assert.Equal(aboutB.Second[i], aboutA.Second[i], 1e-12);
        }
    }

    [Fact]
    public void MoveAbout_TheSameMeans_NothingChanges()
    {
        double[] a = [0.1, 0.2];
        MixtureStatistics statistics = Moments([[1, 1], [0.3, 0.7]], [0, 0], a);
        double[] first = statistics.First.ToArray();
        double[] second = statistics.Second.ToArray();

        MixtureMoments.MoveAbout(statistics, a, [.. a]);

        Assert.Equal(first, statistics.First.ToArray());
        Assert.Equal(second, statistics.Second.ToArray());
    }

    private static MixtureStatistics Moments(double[][] points, int[] component, double[] about)
    {
        int d = points[0].Length;
        int k = about.Length / d;
        var statistics = new MixtureStatistics(k, d);
        for (int i = 0; i < points.Length; i++)
        {
            int c = component[i];
            statistics.Mass[c] += 1;
            statistics.Counts[c] += 1;
            for (int j = 0; j < d; j++)
            {
                double t = points[i][j] - about[(c * d) + j];
                statistics.First[(c * d) + j] += t;
                statistics.Second[(c * d) + j] += t * t;
            }
        }

        return statistics;
    }
}
