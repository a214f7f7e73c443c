using StreamingClusters.MStep;

namespace StreamingClusters.Tests.MStep;

public class HalfLifeTests
{
    public static TheoryData<string, double, HalfLifeUnit> ValidTexts => new()
    {
        { "20000points", 20000, HalfLifeUnit.Points },
        { "50batches", 50, HalfLifeUnit.Batches },
        { "10m", 600, HalfLifeUnit.Time },
        { "30s", 30, HalfLifeUnit.Time },
        { "1.5h", 5400, HalfLifeUnit.Time },
        { "250ms", 0.25, HalfLifeUnit.Time },
        { "2d", 172800, HalfLifeUnit.Time },
        { "00:10:00", 600, HalfLifeUnit.Time },
        { " 1e3 points ", 1000, HalfLifeUnit.Points },
    };

    [Theory]
    [MemberData(nameof(ValidTexts))]
    public void Parse_ValidText_GivesValueAndUnit(string text, double value, HalfLifeUnit unit)
    {
        HalfLife halfLife = HalfLife.Parse(text);

        Assert.Equal(unit, halfLife.Unit);
        Assert.Equal(value, halfLife.Value, 1e-9);
        Assert.True(halfLife.Forgets);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("NONE")]
    [InlineData("off")]
    public void Parse_None_NeverForgets(string text)
    {
        HalfLife halfLife = HalfLife.Parse(text);

        Assert.Equal(HalfLife.None, halfLife);
        Assert.False(halfLife.Forgets);
        Assert.Equal(1.0, halfLife.Discount(1_000_000, TimeSpan.FromDays(365)));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-5points")]
    [InlineData("0s")]
    [InlineData("0points")]
    [InlineData("5parsecs")]
    [InlineData("-00:10:00")]
    [InlineData("00:00:00")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("1e400points")]
    [InlineData("5000")]
    [InlineData("10")]
    [InlineData("1e305h")]
    [InlineData("1e-322ms")]
    public void Parse_InvalidText_ThrowsFormatExceptionThatShowsTheForms(string text)
    {
        Assert.False(HalfLife.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => HalfLife.Parse(text));
        Assert.Equal(
            $"'{text}' is not a half-life: give a count with its unit (20000points, 50batches), a duration (10m, 30s, 2h, 1d) or 'none'.",
            error.Message);
    }

    [Fact]
    public void TryParse_Null_ReturnsFalse()
    {
        Assert.False(HalfLife.TryParse(null, out _));
    }

    [Theory]
    [InlineData("20000points")]
    [InlineData("50batches")]
    [InlineData("90s")]
    [InlineData("none")]
    public void ToString_ParsedBack_GivesTheSameHalfLife(string text)
    {
        HalfLife halfLife = HalfLife.Parse(text);

        Assert.Equal(halfLife, HalfLife.Parse(halfLife.ToString()));
    }

    [Fact]
    public void Discount_OneHalfLifeInBatches_MultipliesToOneHalf()
    {
        HalfLife halfLife = HalfLife.InBatches(50);
        double product = 1;
        for (int batch = 0; batch < 50; batch++)
        {
            // Batch size and elapsed time do not matter for a half-life in batches.
            product *= halfLife.Discount(1 + (batch * 37 % 500), TimeSpan.FromSeconds(batch));
        }

        Assert.Equal(0.5, product, 1e-12);
    }

    [Fact]
    public void Discount_OneHalfLifeInPoints_MultipliesToOneHalfWhateverTheBatchSizes()
    {
        HalfLife halfLife = HalfLife.InPoints(20000);
        int[] sizes = [1, 999, 5000, 3000, 7, 993, 10000];
        Assert.Equal(20000, sizes.Sum());

        double product = 1;
        foreach (int size in sizes)
        {
            product *= halfLife.Discount(size, TimeSpan.Zero);
        }

        Assert.Equal(0.5, product, 1e-12);
    }

    [Fact]
    public void Discount_OneHalfLifeInTime_MultipliesToOneHalfWhateverTheTraffic()
    {
        HalfLife halfLife = HalfLife.InTime(TimeSpan.FromMinutes(10));
        TimeSpan[] gaps = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(299), TimeSpan.FromMinutes(5)];

        double product = 1;
        foreach (TimeSpan gap in gaps)
        {
            product *= halfLife.Discount(1_000_000, gap);
        }

        Assert.Equal(0.5, product, 1e-12);
        Assert.Equal(1.0, halfLife.Discount(10, TimeSpan.FromSeconds(-5)));
    }

    [Theory]
    [InlineData("30s", 10, 9 * 3600)]
    [InlineData("1points", 5000, 0)]
    public void Discount_ThousandsOfHalfLivesAtOnce_StaysPositive(string text, long points, int elapsedSeconds)
    {
        // An overnight pause with a 30 s half-life is 1,080 half-lives: 0.5^1080 underflows to 0,
        // which ClusterModel.Apply refuses. The old points must be forgotten, not the batch.
        double discount = HalfLife.Parse(text).Discount(points, TimeSpan.FromSeconds(elapsedSeconds));

        Assert.InRange(discount, double.Epsilon, 1e-300);
    }

    [Fact]
    public void Factories_NonPositiveHalfLife_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => HalfLife.InBatches(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HalfLife.InPoints(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HalfLife.InPoints(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => HalfLife.InTime(TimeSpan.Zero));
    }
}
