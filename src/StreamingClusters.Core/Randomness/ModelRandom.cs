namespace StreamingClusters.Randomness;

/// <summary>
/// A seeded pseudo-random generator (xoshiro256**) whose whole state can be read and restored, so a
/// checkpoint can continue a run exactly where it stopped. Not thread-safe: the model owner uses it
/// from one thread.
/// </summary>
public sealed class ModelRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose sequence is fixed by <paramref name="seed"/>.</summary>
    /// <param name="seed">Any value; equal seeds give equal sequences.</param>
    public ModelRandom(ulong seed)
    {
        // SplitMix64 spreads the seed over the four words so that no seed yields the all-zero state.
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private ModelRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>Restores a generator from a state read by <see cref="GetState"/>.</summary>
    /// <param name="state">Four words, not all zero.</param>
    /// <returns>A generator that continues the sequence exactly.</returns>
    public static ModelRandom FromState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4)
        {
            throw new ArgumentException("A random state has exactly four words.", nameof(state));
        }

        if ((state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("A random state cannot be all zero.", nameof(state));
        }

        return new ModelRandom(state[0], state[1], state[2], state[3]);
    }

    /// <summary>Returns the four words of the current state.</summary>
    /// <returns>A new array that <see cref="FromState"/> accepts.</returns>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Returns the next 64 random bits.</summary>
    /// <returns>A uniformly distributed value.</returns>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns a uniformly distributed double in [0, 1).</summary>
    /// <returns>A value with 53 random bits.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a uniformly distributed integer in [0, <paramref name="maxExclusive"/>).</summary>
    /// <param name="maxExclusive">The exclusive upper bound, at least 1.</param>
    /// <returns>An unbiased value (Lemire's method).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int NextInt32(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong range = (ulong)maxExclusive;
        UInt128 m = (UInt128)NextUInt64() * range;
        ulong low = (ulong)m;
        if (low < range)
        {
            ulong threshold = (0UL - range) % range;
            while (low < threshold)
            {
                m = (UInt128)NextUInt64() * range;
                low = (ulong)m;
            }
        }

        return (int)(m >> 64);
    }

    /// <summary>Returns a standard normal variate (Box–Muller; one of the pair is discarded).</summary>
    /// <returns>A draw from N(0, 1).</returns>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
