namespace StreamingClusters.Tests.Support;

/// <summary>The adjusted Rand index of two labellings (Hubert and Arabie 1985): 1 when they agree up to names, about 0 by chance.</summary>
internal static class AdjustedRandIndex
{
    public static double Of(ReadOnlySpan<int> truth, ReadOnlySpan<int> found)
    {
        if (truth.Length != found.Length)
        {
            throw new ArgumentException("The labellings differ in length.", nameof(found));
        }

        var table = new Dictionary<(int, int), long>();
        var rows = new Dictionary<int, long>();
        var columns = new Dictionary<int, long>();
        for (int i = 0; i < truth.Length; i++)
        {
            table[(truth[i], found[i])] = table.GetValueOrDefault((truth[i], found[i])) + 1;
            rows[truth[i]] = rows.GetValueOrDefault(truth[i]) + 1;
            columns[found[i]] = columns.GetValueOrDefault(found[i]) + 1;
        }

        static double Pairs(long n) => n * (n - 1) / 2.0;
        double index = table.Values.Sum(Pairs);
        double rowPairs = rows.Values.Sum(Pairs);
        double columnPairs = columns.Values.Sum(Pairs);
        double expected = rowPairs * columnPairs / Pairs(truth.Length);
        double maximum = (rowPairs + columnPairs) / 2;
        return maximum == expected ? 1 : (index - expected) / (maximum - expected);
    }
}
