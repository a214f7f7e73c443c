using StreamingClusters.Ingest;

namespace StreamingClusters.Tests.Ingest;

public sealed class BufferPoolTests
{
    [Fact]
    public void Rent_GivesExactlyTheLengthAskedFor()
    {
        var sut = new BufferPool(4);

        Assert.Equal(16_384, sut.Rent(16_384).Length);
        Assert.Equal(17, sut.Rent(17).Length);
        Assert.Empty(sut.Rent(0));
    }

    [Fact]
    public void Rent_AfterReturn_GivesTheSameBufferBack()
    {
        var sut = new BufferPool(4);
        float[] first = sut.Rent(1024);
        sut.Return(first);

        Assert.Same(first, sut.Rent(1024));
        Assert.NotSame(first, sut.Rent(1024));
        Assert.Equal(2, sut.Created);
    }

    [Fact]
    public void Return_BeyondTheBoundPerSize_KeepsOnlyTheBound()
    {
        var sut = new BufferPool(3);
        float[][] rented = [.. Enumerable.Range(0, 5).Select(_ => sut.Rent(64))];
        foreach (float[] buffer in rented)
        {
            sut.Return(buffer);
        }

        var again = Enumerable.Range(0, 5).Select(_ => sut.Rent(64)).ToList();

        Assert.Equal(3, again.Count(b => rented.Contains(b)));
        Assert.Equal(7, sut.Created);
    }

    [Fact]
    public void Return_SizesAreKeptApart()
    {
        var sut = new BufferPool(4);
        float[] small = sut.Rent(8);
        sut.Return(small);

        Assert.NotSame(small, sut.Rent(16));
        Assert.Same(small, sut.Rent(8));
    }

    [Fact]
    public void Return_Cleared_ComesBackZeroed()
    {
        var sut = new BufferPool(4);
        float[] buffer = sut.Rent(8);
        buffer.AsSpan().Fill(3);

        sut.Return(buffer, clearArray: true);

        Assert.All(sut.Rent(8), v => Assert.Equal(0f, v));
    }

    [Fact]
    public async Task RentAndReturn_FromManyThreads_NothingLostOrGivenTwice()
    {
        var sut = new BufferPool(1000);
        var outstanding = new System.Collections.Concurrent.ConcurrentDictionary<float[], int>(ReferenceEqualityComparer.Instance);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                float[] buffer = sut.Rent(32);
                Assert.True(outstanding.TryAdd(buffer, thread), "a buffer was given to two renters at once");
                buffer.AsSpan().Fill(thread);
                Thread.Yield();
                Assert.All(buffer, v => Assert.Equal(thread, v));
                Assert.True(outstanding.TryRemove(buffer, out _));
                sut.Return(buffer);
            }
        })));

        // At most one buffer per thread was ever out at once.
        Assert.InRange(sut.Created, 1, 4);
    }
}
