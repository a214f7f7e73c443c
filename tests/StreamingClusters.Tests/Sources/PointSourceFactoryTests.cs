using StreamingClusters.Options;
using StreamingClusters.Sources;

namespace StreamingClusters.Tests.Sources;

public sealed class PointSourceFactoryTests : IDisposable
{
    private readonly TempFiles _files = new();

    private static StreamingClustersOptions Options() => new() { MaxRecordLength = 4096 };

    [Fact]
    public async Task Create_CsvFile_ReadsItUnderItsEffectiveName()
    {
        string path = _files.Create("a,b\n1,2\n3,4\n");

        IPointSource sut = PointSourceFactory.Create(new SourceOptions { Path = path }, 3, Options());
        SourceRunResult run = await SourceHarness.RunAsync(sut);

        var file = Assert.IsType<FileSource>(sut);
        Assert.Equal((path, path, true, 0L), (file.Name, file.Path, file.IsFinite, file.ResumePosition));
        Assert.Equal([[1f, 2f], [3f, 4f]], run.Points);
    }

    [Fact]
    public async Task Create_JsonLinesFile_ReadsNamedFields()
    {
        string path = _files.Create("{\"v\":1,\"w\":2}\n");

        IPointSource sut = PointSourceFactory.Create(new SourceOptions { Name = "j", Path = path, Format = RecordFormat.JsonLines, Columns = ["w"] }, 0, Options());
        SourceRunResult run = await SourceHarness.RunAsync(sut);

        Assert.Equal("j", sut.Name);
        Assert.Equal([[2f]], run.Points);
    }

    [Fact]
    public void Create_StandardInput_IsNotReplayable()
    {
        IPointSource sut = PointSourceFactory.Create(new SourceOptions { Path = "-" }, 0, Options());

        Assert.Equal(("stdin", true, -1L), (sut.Name, sut.IsFinite, sut.ResumePosition));
        Assert.Null(Assert.IsType<FileSource>(sut).Path);
    }

    [Fact]
    public void Create_Follow_FollowsTheFileForever()
    {
        IPointSource sut = PointSourceFactory.Create(new SourceOptions { Path = "x.csv", Follow = true, PollInterval = TimeSpan.FromSeconds(1) }, 1, Options());

        var follow = Assert.IsType<FollowFileSource>(sut);
        Assert.Equal(("x.csv", "x.csv", false, 0L), (follow.Name, follow.Path, follow.IsFinite, follow.ResumePosition));
    }

    [Fact]
    public void Create_FollowWithoutAPollInterval_RefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => PointSourceFactory.Create(new SourceOptions { Path = "x.csv", Follow = true, PollInterval = TimeSpan.Zero }, 1, Options()));

        Assert.Equal("StreamingClusters:Sources:1:PollInterval must be positive (got 00:00:00). (Parameter 'source')", error.Message);
    }

    [Theory]
    [InlineData('é', "StreamingClusters:Sources:0:Separator must be an ASCII character other than a quote, a line break or NUL. (Parameter 'source')")]
    [InlineData('"', "StreamingClusters:Sources:0:Separator must be an ASCII character other than a quote, a line break or NUL. (Parameter 'source')")]
    public void Create_BadSeparator_RefusedNamingTheSetting(char separator, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => PointSourceFactory.Create(new SourceOptions { Path = "x.csv", Separator = separator }, 0, Options()));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Create_ColumnNameWithoutHeader_RefusedNamingTheSettings()
    {
        var error = Assert.Throws<ArgumentException>(() => PointSourceFactory.Create(new SourceOptions { Path = "x.csv", HasHeader = false, Columns = ["0", "t"] }, 0, Options()));

        Assert.Equal(
            "StreamingClusters:Sources:0:Columns:1 't' is not a zero-based column index, and StreamingClusters:Sources:0:HasHeader is false: columns are named only by a header. (Parameter 'source')",
            error.Message);
    }

    [Fact]
    public void Create_EmptyColumn_RefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => PointSourceFactory.Create(new SourceOptions { Path = "x.jsonl", Format = RecordFormat.JsonLines, Columns = ["a", " "] }, 0, Options()));

        Assert.Equal("StreamingClusters:Sources:0:Columns:1 is empty. (Parameter 'source')", error.Message);
    }

    [Fact]
    public void Create_NoPath_RefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => PointSourceFactory.Create(new SourceOptions(), 2, Options()));

        Assert.StartsWith("StreamingClusters:Sources:2:Path is required", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();
}
