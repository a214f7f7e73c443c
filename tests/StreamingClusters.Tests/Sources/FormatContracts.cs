using System.Globalization;
using StreamingClusters.Options;

namespace StreamingClusters.Tests.Sources;

/// <summary>How the contract writes and breaks CSV: a header to detect, three columns.</summary>
internal static class CsvContract
{
    public static SourceOptions Settings => new() { Name = "csv", Format = RecordFormat.Csv };

    public const string Header = "x,y,z";

    public static IReadOnlyList<(string Line, string Reason)> BadLines { get; } =
    [
        ("1,abc,3", "value 1 (zero-based) 'abc' is not a number"),
        ("1,2", "2 fields where the header has 3"),
        ("1,nan,3", "value 1 (zero-based) is NaN"),
        ("1,-Infinity,3", "value 1 (zero-based) is infinite"),
        ("1,1e20,3", "value 1 (zero-based) (1.00000002E+20) exceeds the largest accepted magnitude"),
        ("1,1e39,3", "value 1 (zero-based) '1e39' is out of the range of a float"),
        ("1,\"2,3", "field 2 has a quote that does not close"),
        ("1,,3", "value 1 (zero-based) is empty"),
    ];

    public static string Line(float[] values) => string.Join(',', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
}

/// <summary>How the contract writes and breaks JSON lines: three fields chosen by name.</summary>
internal static class JsonLinesContract
{
    public static SourceOptions Settings => new() { Name = "jsonl", Format = RecordFormat.JsonLines, Columns = ["x", "y", "z"] };

    public static IReadOnlyList<(string Line, string Reason)> BadLines { get; } =
    [
        ("""{"x":1,"y":"abc","z":3}""", "value 1 (zero-based) 'abc' is not a number (field 'y')"),
        ("""{"x":1,"y":2}""", "field 'z' is missing"),
        ("""{"x":1,"y":"NaN","z":3}""", "value 1 (zero-based) is NaN"),
        ("""{"x":1,"y":1e20,"z":3}""", "value 1 (zero-based) (1.00000002E+20) exceeds the largest accepted magnitude"),
        ("""{"x":1,"y":1e39,"z":3}""", "value 1 (zero-based) '1e39' is out of the range of a float (field 'y')"),
        ("""{"x":1,"y":null,"z":3}""", "value 1 (zero-based) is null, not a number (field 'y')"),
        ("""{"x":1,"y":2,""", "not valid JSON"),
        ("""[1,2,3]""", "an array, but the source's Columns name fields of an object"),
    ];

    public static string Line(float[] values) => string.Create(
        CultureInfo.InvariantCulture, $$"""{"id":"p","z":{{values[2]:R}},"x":{{values[0]:R}},"nested":{"x":0},"y":{{values[1]:R}}}""");
}

public sealed class CsvFileSourceContractTests : ReplayableSourceContractTests
{
    private protected override SourceOptions Settings => CsvContract.Settings;

    protected override string? Header => CsvContract.Header;

    protected override IReadOnlyList<(string Line, string Reason)> BadLines => CsvContract.BadLines;

    protected override string Line(float[] values) => CsvContract.Line(values);
}

public sealed class JsonLinesFileSourceContractTests : ReplayableSourceContractTests
{
    private protected override SourceOptions Settings => JsonLinesContract.Settings;

    protected override IReadOnlyList<(string Line, string Reason)> BadLines => JsonLinesContract.BadLines;

    protected override string Line(float[] values) => JsonLinesContract.Line(values);
}

public sealed class CsvParallelFileSourceContractTests : ReplayableSourceContractTests
{
    private protected override SourceOptions Settings => CsvContract.Settings;

    protected override string? Header => CsvContract.Header;

    protected override IReadOnlyList<(string Line, string Reason)> BadLines => CsvContract.BadLines;

    private protected override int ParseThreads => 3;

    private protected override int ChunkSize => 40;

    protected override string Line(float[] values) => CsvContract.Line(values);
}

public sealed class JsonLinesParallelFileSourceContractTests : ReplayableSourceContractTests
{
    private protected override SourceOptions Settings => JsonLinesContract.Settings;

    protected override IReadOnlyList<(string Line, string Reason)> BadLines => JsonLinesContract.BadLines;

    private protected override int ParseThreads => 3;

    private protected override int ChunkSize => 200;

    protected override string Line(float[] values) => JsonLinesContract.Line(values);
}

public sealed class CsvStreamSourceContractTests : StreamSourceContractTests
{
    private protected override SourceOptions Settings => CsvContract.Settings;

    protected override string? Header => CsvContract.Header;

    protected override IReadOnlyList<(string Line, string Reason)> BadLines => CsvContract.BadLines;

    protected override string Line(float[] values) => CsvContract.Line(values);
}

public sealed class JsonLinesStreamSourceContractTests : StreamSourceContractTests
{
    private protected override SourceOptions Settings => JsonLinesContract.Settings;

    protected override IReadOnlyList<(string Line, string Reason)> BadLines => JsonLinesContract.BadLines;

    protected override string Line(float[] values) => JsonLinesContract.Line(values);
}
