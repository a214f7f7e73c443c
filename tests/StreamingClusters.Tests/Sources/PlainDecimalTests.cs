using System.Globalization;
using System.Text;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class PlainDecimalTests
{
    private const string Alphabet = "0123456789-+.eE";

    [Theory]
    [InlineData("1.06295")]
    [InlineData("-0.634701")]
    [InlineData("10.3317")]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("-3.0517578E-05")]
    [InlineData("1e5")]
    [InlineData("123456789012345")]
    [InlineData("0.000000000000000001")]
    public void TryRead_CommonSpellings_AreReadAsUtf8NumberReadsThem(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        int position = 0;

        Assert.True(PlainDecimal.TryRead(bytes, ref position, (byte)',', out float value));
        Assert.Equal(bytes.Length, position);
        Assert.Equal(NumberStatus.Number, Utf8Number.Parse(bytes, out float expected));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(value));
    }

    [Theory]
    [InlineData("16777217")] // half-way between two floats: left to csFastFloat, which rounds to even
    [InlineData("1.6777219e7")]
    [InlineData("12345678901234567890")] // 20 digits
    [InlineData("123456789012345678")] // beyond 2^53
    [InlineData("0.0000000000000000001")]
    [InlineData("1e23")]
    [InlineData("1e-23")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("+1")]
    [InlineData("1e")]
    [InlineData("1e99999")]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1x")]
    [InlineData("1 ")]
    public void TryRead_OtherSpellings_AreLeftToUtf8Number(string text)
    {
        int position = 0;

        Assert.False(PlainDecimal.TryRead(Encoding.UTF8.GetBytes(text), ref position, (byte)',', out _));
        Assert.Equal(0, position);
    }

    [Fact]
    public void TryRead_ManySpellings_GiveExactlyUtf8NumbersFloat()
    {
        var rng = new Random(5);
        int read = 0;
        for (int n = 0; n < 200_000; n++)
        {
            string text = n % 3 == 0 ? RandomFloatText(rng) : n % 3 == 1 ? RandomDecimal(rng) : RandomCharacters(rng);
            // Fields that end the line and fields followed by another, in lines shorter and longer than 8 bytes.
            string suffix = (n / 3 % 3) switch { 0 => string.Empty, 1 => ",7", _ => ",123456789" };
            byte[] bytes = Encoding.UTF8.GetBytes(text + suffix);
            int position = 0;
            if (!PlainDecimal.TryRead(bytes, ref position, (byte)',', out float value))
            {
                Assert.Equal(0, position);
                continue;
            }

            read++;
            Assert.Equal(text.Length, position);
            Assert.True(Utf8Number.Parse(bytes.AsSpan(0, text.Length), out float expected) == NumberStatus.Number, text);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(value), $"{text}: {value:R} where csFastFloat reads {expected:R}");
        }

        Assert.True(read > 100_000, $"only {read} read");
    }

    private static string RandomFloatText(Random rng)
    {
        float value = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 12)));
        string[] formats = ["R", "G6", "G9", "F3", "E4", "G17"];
        return value.ToString(formats[rng.Next(formats.Length)], CultureInfo.InvariantCulture);
    }

    private static string RandomDecimal(Random rng)
    {
        var text = new StringBuilder();
        if (rng.Next(2) == 0)
        {
            text.Append('-');
        }

        // Digits near the float's limits: 2^24 and beyond, many digits, points anywhere.
        int digits = rng.Next(1, 22);
        for (int i = 0; i < digits; i++)
        {
            text.Append((char)('0' + rng.Next(i == 0 ? 1 : 0, 10)));
        }

        if (rng.Next(2) == 0)
        {
            text.Insert(rng.Next(text[0] == '-' ? 2 : 1, text.Length + 1), '.');
        }

        if (rng.Next(3) == 0)
        {
            text.Append(rng.Next(2) == 0 ? 'e' : 'E').Append(rng.Next(3) switch { 0 => "-", 1 => "+", _ => "" }).Append(rng.Next(0, 40));
        }

        return text.ToString().TrimEnd('.');
    }

    private static string RandomCharacters(Random rng)
    {
        var text = new StringBuilder();
        int length = rng.Next(1, 12);
        for (int i = 0; i < length; i++)
        {
            text.Append(Alphabet[rng.Next(Alphabet.Length)]);
        }

        return text.ToString();
    }
}
