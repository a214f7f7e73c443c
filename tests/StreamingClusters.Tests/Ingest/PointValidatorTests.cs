using StreamingClusters.Ingest;

namespace StreamingClusters.Tests.Ingest;

public sealed class PointValidatorTests
{
    private const float Max = 1e15f;

    public static TheoryData<float> OutOfRange() => new()
    {
        float.NaN,
        float.PositiveInfinity,
        float.NegativeInfinity,
        BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(Max) + 1),
        -BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(Max) + 1),
        float.MaxValue,
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void AllWithin_OneValueOutOfRangeAnywhere_IsFalse(float wild)
    {
        // Every length up to past two unrolled steps, the wild value at every position: each vector
        // width, each lane and the scalar tail.
        for (int length = 1; length <= 150; length++)
        {
            float[] values = Values(length);
            for (int at = 0; at < length; at++)
            {
                float kept = values[at];
                values[at] = wild;
                Assert.False(PointValidator.AllWithin(values, Max), $"length {length}, value {at}");
                values[at] = kept;
            }

            Assert.True(PointValidator.AllWithin(values, Max), $"length {length}");
        }
    }

    [Fact]
    public void AllWithin_ValuesAtTheLimit_IsTrue()
    {
        for (int length = 0; length <= 150; length++)
        {
            float[] values = Values(length);
            for (int i = 0; i < length; i += 3)
            {
                values[i] = i % 2 == 0 ? Max : -Max;
            }

            Assert.True(PointValidator.AllWithin(values, Max), $"length {length}");
        }
    }

    [Fact]
    public void AllWithin_AnyValues_AgreesWithCheck()
    {
        var random = new Random(11);
        for (int round = 0; round < 2_000; round++)
        {
            int d = 1 + random.Next(40);
            float[] values = Values(d);
            if (random.Next(3) == 0)
            {
                values[random.Next(d)] = (float)(random.NextDouble() * 4 * Max * (random.Next(2) == 0 ? 1 : -1));
            }

            Assert.Equal(PointValidator.Check(values, d, Max) is null, PointValidator.AllWithin(values, Max));
        }
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void CopyIfAllWithin_AgreesWithAllWithin_AndCopiesEveryValueWhenTrue(float wild)
    {
        for (int length = 0; length <= 150; length++)
        {
            float[] values = Values(length);
            for (int i = 0; i < length; i += 5)
            {
                values[i] = (i / 5 % 3) switch { 0 => Max, 1 => -Max, _ => -0f };
            }

            float[] copy = new float[length + 3];
            Assert.True(PointValidator.AllWithin(values, Max));
            Assert.True(PointValidator.CopyIfAllWithin(values, copy, Max), $"length {length}");
            Assert.Equal(values, copy[..length]);
            Assert.Equal([0f, 0f, 0f], copy[length..]);
            for (int at = 0; at < length; at++)
            {
                float kept = values[at];
                values[at] = wild;
                Assert.False(PointValidator.AllWithin(values, Max));
                Assert.False(PointValidator.CopyIfAllWithin(values, new float[length], Max), $"length {length}, value {at}");
                values[at] = kept;
            }
        }
    }

    [Fact]
    public void CopyIfAllWithin_DestinationTooShort_Throws()
    {
        Assert.Throws<ArgumentException>(() => PointValidator.CopyIfAllWithin(new float[17], new float[16], Max));
    }

    private static float[] Values(int length) =>
        Enumerable.Range(0, length).Select(i => (float)(((i * 37) % 101) - 50) * 1e13f).ToArray();
}
