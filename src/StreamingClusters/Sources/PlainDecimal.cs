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

    private static ReadOnlySpan<ulong> PowersOfTenInteger => [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

    private static ReadOnlySpan<float> PowersOfTenSingle => [1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f];

    private static ReadOnlySpan<double> PowersOfTen =>
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
        // The common case straight through: up to 7 digits, a point and up to 7 digits, no exponent, in
        // a line of at least 8 bytes. Anything else takes the general reading.
        ref byte first = ref MemoryMarshal.GetReference(line);
        int end = line.Length;
        int i = position;
        if (i < end)
        {
            // The sign without a branch: random signs would mispredict half the time.
            uint negative = Unsafe.Add(ref first, i) == (byte)'-' ? 1u : 0u;
            int j = i + (int)negative;
            ulong integer = Load(ref first, j, end) ^ 0x3030_3030_3030_3030UL;
            int integerDigits = BitOperations.TrailingZeroCount(NotDigits(integer)) >> 3;
            if (integerDigits is > 0 and < 8)
            {
                ulong mantissa = Eight(integer, integerDigits);
                int k = j + integerDigits;
                int fractionDigits = 0;
                if (k < end && Unsafe.Add(ref first, k) == (byte)'.')
                {
                    ulong fraction = Load(ref first, k + 1, end) ^ 0x3030_3030_3030_3030UL;
                    fractionDigits = BitOperations.TrailingZeroCount(NotDigits(fraction)) >> 3;
                    if (fractionDigits is > 0 and < 8)
                    {
                        mantissa = (mantissa * Unsafe.Add(ref MemoryMarshal.GetReference(PowersOfTenInteger), fractionDigits)) + Eight(fraction, fractionDigits);
                        k += 1 + fractionDigits;
                    }
                    else
                    {
                        k = -1;
                    }
                }

                if (k >= 0 && (k == end || Unsafe.Add(ref first, k) == separator))
                {
                    // Below 2^24 and 10^10 both are exact floats: one float division rounds correctly.
                    float magnitude = mantissa < (1UL << 24)
                        ? mantissa / Unsafe.Add(ref MemoryMarshal.GetReference(PowersOfTenSingle), fractionDigits)
                        : ExactToFloat(mantissa, -fractionDigits);
                    if (!float.IsNaN(magnitude))
                    {
                        value = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(magnitude) | (negative << 31));
                        position = k;
                        return true;
                    }
                }
            }
        }

        int ended = ReadGeneral(line, position, separator, out value);
        if (ended < 0)
        {
            return false;
        }

        position = ended;
        return true;
    }

    /// <summary>
    /// The 8 bytes of the line from <paramref name="at"/>; near the end of a line of at least 8 bytes,
    /// its last 8 bytes shifted down, with zeros (not digits) past the end; 0 when nothing can be read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Load(ref byte first, int at, int end) =>
        at <= end - sizeof(ulong) ? Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, at))
        : at < end && end >= sizeof(ulong) ? Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref first, end - sizeof(ulong))) >> ((at - (end - sizeof(ulong))) << 3)
        : 0;

    /// <summary>Whether each byte (a character XOR '0') is not a digit: its top bit, up to the first non-digit.</summary>
    /// <remarks>
    /// A digit XOR '0' is 0–9. Adding 0x76 sets the top bit of bytes of 10 or more; a byte of 0x80 or
    /// more has it set already. Carries only reach later bytes than a flagged one, so the lowest flagged
    /// byte is the first non-digit.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NotDigits(ulong values) => (values | (values + 0x7676_7676_7676_7676UL)) & 0x8080_8080_8080_8080UL;

    /// <summary>The number written by the first <paramref name="count"/> (1–8) digits of <paramref name="values"/> (characters XOR '0').</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Eight(ulong values, int count)
    {
        // The digits to the top bytes, zeros below: an eight-digit number with leading zeros.
        ulong digits = values << ((8 - count) << 3);
        digits = ((digits * 10) + (digits >> 8)) & 0x00FF_00FF_00FF_00FFUL;
        digits = ((digits * 100) + (digits >> 16)) & 0x0000_FFFF_0000_FFFFUL;
        return ((digits * 10000) + (digits >> 32)) & 0xFFFF_FFFFUL;
    }

    /// <summary>
    /// The decimal <paramref name="mantissa"/> × 10^<paramref name="exponent"/> (mantissa at most 2^53,
    /// exponent within ±22) rounded to a float, or NaN when the double falls half-way between two floats.
    /// </summary>
    private static float ExactToFloat(ulong mantissa, int exponent)
    {
        double exact = exponent < 0
            ? mantissa / Unsafe.Add(ref MemoryMarshal.GetReference(PowersOfTen), -exponent)
            : mantissa * Unsafe.Add(ref MemoryMarshal.GetReference(PowersOfTen), exponent);

        // Half-way between two floats: the double's 29 low mantissa bits are exactly 1 followed by zeros.
        return (BitConverter.DoubleToUInt64Bits(exact) & 0x1FFF_FFFF) == 0x1000_0000 ? float.NaN : (float)exact;
    }

    /// <summary>Reads any plain spelling: <see cref="TryRead"/> without its shortcut; returns where it ended, or −1.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadGeneral(ReadOnlySpan<byte> line, int position, byte separator, out float value)
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
                return -1;
            }
        }

        if (integerDigits == 0 || integerDigits + fractionDigits > 19)
        {
            value = 0;
            return -1;
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
                return -1;
            }

            exponent = negativeExponent ? -exponent : exponent;
        }

        if ((uint)i < (uint)line.Length && line[i] != separator)
        {
            value = 0;
            return -1;
        }

        exponent -= fractionDigits;
        if (mantissa == 0)
        {
            value = negative ? -0f : 0f;
            return i;
        }

        if (mantissa > MaxExactMantissa || exponent < -22 || exponent > 22)
        {
            value = 0;
            return -1;
        }

        float rounded = ExactToFloat(mantissa, exponent);
        if (float.IsNaN(rounded))
        {
            value = 0;
            return -1;
        }

        value = negative ? -rounded : rounded;
        return i;
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

            ulong values = bytes ^ 0x3030_3030_3030_3030UL;
            int count = BitOperations.TrailingZeroCount(NotDigits(values)) >> 3;
            if (count == 0)
            {
                return;
            }

            ulong digits = Eight(values, count);
            mantissa = (mantissa * Unsafe.Add(ref MemoryMarshal.GetReference(PowersOfTenInteger), count)) + digits;
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
