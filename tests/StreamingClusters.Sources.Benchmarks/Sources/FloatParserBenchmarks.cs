using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using csFastFloat;

namespace StreamingClusters.Benchmarks.Sources;

/// <summary>Parsing typical values from UTF-8: csFastFloat against float.TryParse, per 16,384 values.</summary>
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class FloatParserBenchmarks
{
    private const int Count = 16_384;
    private readonly byte[] _text;
    private readonly (int Start, int Length)[] _values = new (int, int)[Count];

    public FloatParserBenchmarks()
    {
        var rng = new Random(1);
        var all = new List<byte>();
        for (int i = 0; i < Count; i++)
        {
            byte[] value = Encoding.UTF8.GetBytes(((float)((rng.NextDouble() * 200) - 100)).ToString("R", CultureInfo.InvariantCulture));
            _values[i] = (all.Count, value.Length);
            all.AddRange(value);
        }

        _text = [.. all];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public float FloatTryParseUtf8()
    {
        float sum = 0;
        foreach ((int start, int length) in _values)
        {
            if (float.TryParse(_text.AsSpan(start, length), NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
            {
                sum += v;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public float CsFastFloatUtf8()
    {
        float sum = 0;
        foreach ((int start, int length) in _values)
        {
            if (FastFloatParser.TryParseFloat(_text.AsSpan(start, length), out int consumed, out float v) && consumed == length)
            {
                sum += v;
            }
        }

        return sum;
    }
}
