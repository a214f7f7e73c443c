using StreamingClusters.Publishing;

namespace StreamingClusters.Tests.Publishing;

public sealed class CentroidRowsTests
{
    private static CentroidRows CreateSut(double[] values, int dimensions) => new(values, dimensions);

    [Fact]
    public void Indexer_AnyRow_HoldsThatRowsValues()
    {
        CentroidRows rows = CreateSut([1, 2, 3, 4, 5, 6], dimensions: 2);

        Assert.Equal(3, rows.Count);
        Assert.Equal([1.0, 2.0], rows[0]);
        Assert.Equal([5.0, 6.0], rows[2]);
        Assert.Equal([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], rows.ToArray());
    }

    [Fact]
    public void Indexer_ReadTwice_SameArray()
    {
        CentroidRows rows = CreateSut([1, 2, 3, 4], dimensions: 2);

        Assert.Same(rows[1], rows[1]);
        Assert.Same(rows[0], rows.First());
    }

    [Fact]
    public void Constructor_SourceChangedAfterwards_RowsKeepTheCopiedValues()
    {
        double[] model = [1, 2, 3, 4];
        CentroidRows rows = CreateSut(model, dimensions: 2);

        model[2] = 99;

        Assert.Equal([3.0, 4.0], rows[1]);
    }

    [Fact]
    public void Indexer_ReadOnManyThreadsAtOnce_EveryReaderGetsTheSameArray()
    {
        CentroidRows rows = CreateSut([.. Enumerable.Range(0, 64 * 16).Select(i => (double)i)], dimensions: 16);
        using var start = new Barrier(4);
        var seen = new double[4][][];
        Thread[] readers = [.. Enumerable.Range(0, 4).Select(r => new Thread(() =>
        {
            start.SignalAndWait();
            seen[r] = rows.ToArray();
        }))];

        foreach (Thread reader in readers)
        {
            reader.Start();
        }

        foreach (Thread reader in readers)
        {
            reader.Join();
        }

        for (int c = 0; c < 64; c++)
        {
            Assert.All(seen, s => Assert.Same(seen[0][c], s[c]));
        }
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        CentroidRows rows = CreateSut([1, 2], dimensions: 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => rows[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => rows[-1]);
    }
}
