using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StreamingClusters.Sources;

/// <summary>
/// Reads the common spelling of a number in a text file — an optional minus, digits, an optional
/// point and digits, an optional exponent — in one pass, as a float rounded exactly as
/// <see cref="Utf8Number"/> (csFastFloat) rounds it. Anything else is left to <see cref="Utf8Number"/>.
/// </summary>
/// <remarks>
/// With at most 19 digits and a power of ten within ±22, the digits and the power are exact doubles,
/// so one IEEE multiplication or division gives the decimal value correctly rounded to a double
/// (Clinger's fast path). Rounding that double to a float gives the correctly rounded float, except
/// when the double falls exactly half-way between two floats (double rounding); that case is left to
/// csFastFloat too.
/// </remarks>
internal static class PlainDecimal
{
    private const ulong MaxExactMantissa = 1UL << 53;

    private static readonly ulong[] PowersOfTenInteger = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Reads a number at <paramref name="position"/> that ends at <paramref name="separator"/> or at the
    /// end of <paramref name="line"/>; on success <paramref name="position"/> is left on that separator
    /// (or the end).
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="position">Where the number starts; where it ended, on success.</param>
    /// <param name="separator">The byte that ends the field.</param>
    /// <param name="value">The value, rounded to the nearest float.</param>
    /// <returns>Whether the field was a plain number read here; otherwise <paramref name="position"/> is unchanged.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> line, ref int position, byte separator, out float value)
    {
        int i = position;
        bool negative = (uint)i < (uint)line.Length && line[i] == (byte)'-';
        if (negative)
        {
            i++;
        }

        ulong mantissa = 0;
        int digitsStart = i;
        ReadDigits(line, ref i, ref mantissa);
        int integerDigits = i - digitsStart;
        int fractionDigits = 0;
        if ((uint)i < (uint)line.Length && line[i] == (byte)'.')
        {
            i++;
            int fractionStart = i;
            ReadDigits(line, ref i, ref mantissa);
            fractionDigits = i - fractionStart;
            if (fractionDigits == 0)
            {
                value = 0;
                return false;
            }
        }

        if (integerDigits == 0 || integerDigits + fractionDigits > 19)
        {
            value = 0;
            return false;
        }

        int exponent = 0;
        if ((uint)i < (uint)line.Length && (line[i] | 0x20) == (byte)'e')
        {
            i++;
            bool negativeExponent = false;
            if ((uint)i < (uint)line.Length && line[i] is (byte)'-' or (byte)'+')
            {
                negativeExponent = line[i] == (byte)'-';
                i++;
            }

            int exponentStart = i;
            uint digit;
            while ((uint)i < (uint)line.Length && (digit = (uint)(line[i] - '0')) <= 9 && i - exponentStart < 4)
            {
                exponent = (exponent * 10) + (int)digit;
                i++;
            }

            if (i == exponentStart)
            {
                value = 0;
                return false;
            }

            exponent = negativeExponent ? -exponent : exponent;
        }

        if ((uint)i < (uint)line.Length && line[i] != separator)
        {
            value = 0;
            return false;
        }

        exponent -= fractionDigits;
        if (mantissa == 0)
        {
            value = negative ? -0f : 0f;
            position = i;
            return true;
        }

        if (mantissa > MaxExactMantissa || exponent < -22 || exponent > 22)
        {
            value = 0;
            return false;
        }

        double exact = exponent < 0 ? mantissa / PowersOfTen[-exponent] : mantissa * PowersOfTen[exponent];

        // Half-way between two floats: the double's 29 low mantissa bits are exactly 1 followed by zeros.
        if ((BitConverter.DoubleToUInt64Bits(exact) & 0x1FFF_FFFF) == 0x1000_0000)
        {
            value = 0;
            return false;
        }

        float rounded = (float)exact;
        value = negative ? -rounded : rounded;
        position = i;
        return true;
    }

    /// <summary>
    /// Appends the digits at <paramref name="i"/> to <paramref name="mantissa"/>, eight at a time
    /// without a branch per digit where eight bytes can be read; stops after 20 digits (too many for
    /// the fast path: the caller then gives up).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReadDigits(ReadOnlySpan<byte> line, ref int i, ref ulong mantissa)
    {
        int start = i;
        while (i <= line.Length - sizeof(ulong) && i - start < 20)
        {
            ulong bytes = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(line), i));

            // A digit byte XOR '0' is 0–9. Adding 0x76 sets the top bit of bytes of 10 or more; a byte of
            // 0x80 or more has it set already. Carries only reach later bytes than a flagged one.
            ulong values = bytes ^ 0x3030_3030_3030_3030UL;
            ulong notDigit = (values | (values + 0x7676_7676_7676_7676UL)) & 0x8080_8080_8080_8080UL;
            int count = notDigit == 0 ? 8 : BitOperations.TrailingZeroCount(notDigit) >> 3;
            if (count == 0)
            {
                return;
            }

            // The digits to the top bytes, zeros below: an eight-digit number with leading zeros.
            ulong digits = values << ((8 - count) << 3);
            digits = ((digits * 10) + (digits >> 8)) & 0x00FF_00FF_00FF_00FFUL;
            digits = ((digits * 100) + (digits >> 16)) & 0x0000_FFFF_0000_FFFFUL;
            digits = ((digits * 10000) + (digits >> 32)) & 0xFFFF_FFFFUL;
            mantissa = (mantissa * PowersOfTenInteger[count]) + digits;
            i += count;
            if (count < 8)
            {
                return;
            }
        }

        uint digit;
        while ((uint)i < (uint)line.Length && (digit = (uint)(line[i] - '0')) <= 9 && i - start < 20)
        {
            mantissa = (mantissa * 10) + digit;
            i++;
        }
    }
}
