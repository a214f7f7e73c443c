using BenchmarkDotNet.Attributes;
using nietras.SeparatedValues;
using StreamingClusters.Options;

namespace StreamingClusters.Benchmarks.Sources;

/// <summary>
/// Reading a generated 1,000,000 × 16 file end to end: FileSource over CSV and JSON lines into a
/// drained ingest stage, against Sep reading the same CSV into floats (no positions, no validation,
/// no blocks) as a reference for what a fast CSV reader costs.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class FileSourceBenchmarks
{
    private string _csv = "";
    private string _jsonLines = "";

    [Params(1_000_000)]
    public int Rows { get; set; }

    [Params(16)]
    public int Columns { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _csv = GeneratedInput.Write(RecordFormat.Csv, Rows, Columns);
        _jsonLines = GeneratedInput.Write(RecordFormat.JsonLines, Rows, Columns);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        File.Delete(_csv);
        File.Delete(_jsonLines);
    }

    [Benchmark(Baseline = true)]
    public Task<long> CsvFileSource() => GeneratedInput.RunSourceAsync(_csv, RecordFormat.Csv);

    [Benchmark]
    public Task<long> JsonLinesFileSource() => GeneratedInput.RunSourceAsync(_jsonLines, RecordFormat.JsonLines);

    [Benchmark]
    public float SepCsvToFloats()
    {
        float sum = 0;
        using SepReader reader = Sep.Reader().FromFile(_csv);
        foreach (SepReader.Row row in reader)
        {
            for (int c = 0; c < row.ColCount; c++)
            {
                sum += row[c].Parse<float>();
            }
        }

        return sum;
    }
}
