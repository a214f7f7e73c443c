using StreamingClusters.Randomness;
using StreamingClusters.Scaling;
using StreamingClusters.Tests.Support;

namespace StreamingClusters.Tests.Scaling;

public sealed class ColumnScalingTests
{
    [Fact]
    public void Fit_TwoColumns_LearnsEachMeanAndPopulationStd()
    {
        float[] points = [1, 10, 3, 10, 5, 40];

        ColumnScaling sut = ColumnScaling.Fit(points, 2);

        Assert.Equal([3.0, 20.0], sut.Mean.ToArray());
        Assert.Equal(Math.Sqrt(8.0 / 3), sut.Std[0], 12);
        Assert.Equal(Math.Sqrt(200.0), sut.Std[1], 12);
    }

    [Fact]
    public void Fit_ConstantColumn_StdIsOneAndTheColumnIsOnlyCentred()
    {
        float[] points = [7, 1, 7, 2, 7, 3];

        ColumnScaling sut = ColumnScaling.Fit(points, 2);
        var scaled = new float[points.Length];
        sut.Transform(points, scaled);

        Assert.Equal(1.0, sut.Std[0]);
        Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(0f, scaled[2 * i]));
        Assert.All(scaled, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Fit_ColumnConstantUpToFloatRounding_StdIsOne()
    {
        // 1e6 and its float neighbours: a spread of float rounding, not of the signal.
        float[] points = [1e6f, 0, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1e6f) + 1), 1, 1e6f, 2];

        ColumnScaling sut = ColumnScaling.Fit(points, 2);

        Assert.Equal(1.0, sut.Std[0]);
        Assert.NotEqual(1.0, sut.Std[1]);
    }

    [Fact]
    public void Transform_ManyRowsAcrossTiles_EveryValueIsMinusMeanOverStd()
    {
        const int d = 3;
        var random = new ModelRandom(4);
        float[] points = GeneratedData.Gaussian(random, 3 * 1000 * d, scale: 50);
        ColumnScaling sut = ColumnScaling.Fit(points, d);
        var scaled = new float[points.Length];

        sut.Transform(points, scaled);

        for (int i = 0; i < points.Length; i++)
        {
            float expected = (points[i] - (float)sut.Mean[i % d]) * (float)(1.0 / sut.Std[i % d]);
            Assert.Equal(expected, scaled[i]);
        }
    }

    [Fact]
    public void Restore_OfTransformedRows_GivesBackTheInputUnits()
    {
        float[] points = [1, 1000, 2, 3000, 4, 2000, 9, 8000];
        ColumnScaling sut = ColumnScaling.Fit(points, 2);
        var scaled = new float[points.Length];
        sut.Transform(points, scaled);

        var restored = new double[points.Length];
        sut.Restore(Array.ConvertAll(scaled, v => (double)v), restored);

        for (int i = 0; i < points.Length; i++)
        {
            Assert.Equal(points[i], restored[i], Math.Abs(points[i]) * 1e-6);
        }
    }

    [Fact]
    public void FromState_OfToState_TransformsTheSame()
    {
        float[] points = [1, 10, 3, 10, 5, 40];
        ColumnScaling sut = ColumnScaling.Fit(points, 2);

        ColumnScaling copy = ColumnScaling.FromState(sut.ToState());

        var a = new float[points.Length];
        var b = new float[points.Length];
        sut.Transform(points, a);
        copy.Transform(points, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void FromState_ZeroSpread_Refused()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => ColumnScaling.FromState(new ColumnScalingState([0, 0], [1, 0])));

        Assert.StartsWith("A scaling's means must be finite and its spreads positive and finite.", error.Message, StringComparison.Ordinal);
    }
}
