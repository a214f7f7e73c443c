using System.Threading.Channels;
using StreamingClusters.Ingest;
using StreamingClusters.MalformedInput;
using StreamingClusters.Options;
using StreamingClusters.Sources;
using StreamingClusters.Tests.Sinks;
using StreamingClusters.Tests.Sources;

namespace StreamingClusters.Tests.Reliability;

/// <summary>
/// Thousands of seeded good and damaged records through each parser and each way a file is read:
/// nothing fails or hangs, every record is counted once (applied + rejected = records, exactly),
/// each record the generator knows to be good is applied, each it knows to be bad is dead-lettered
/// with a reason, and random damage goes one way or the other.
/// </summary>
public sealed class MalformedInputTests : IDisposable
{
    private const int Dimensions = 3;
    private const int MaxRecordLength = 256;
    private const int Records = 3000;

    /// <summary>A guard against a hang, not a measure: a run that does not end fails the test.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private readonly TempFiles _files = new();

    public static TheoryData<RecordFormat, int> Seeds => new()
    {
        { RecordFormat.Csv, 1 },
        { RecordFormat.Csv, 2 },
        { RecordFormat.JsonLines, 1 },
        { RecordFormat.JsonLines, 2 },
    };

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task FileSource_MutatedRecords_EachCountedOnceAndBadOnesDeadLettered(RecordFormat format, int seed)
    {
        byte[] document = MalformedDocument.Create(Generator(format, seed), Records, out DocumentTally tally);
        string path = _files.Create(document);

        Outcome outcome = await RunAsync(PointSourceFactory.Create(Source(format, path), 0, Options()), tally);

        AssertOutcome(tally, outcome);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task StandardInputSource_MutatedRecords_EachCountedOnceAndBadOnesDeadLettered(RecordFormat format, int seed)
    {
        // Read as standard input is: a stream that cannot be replayed, in small reads so that lines
        // straddle reads.
        byte[] document = MalformedDocument.Create(Generator(format, seed), Records, out DocumentTally tally);
        SourceOptions source = Source(format, "-");
        IPointSource sut = SourceHarness.StreamSource(() => new TrickleStream(document, seed), source, Options(), bufferSize: 64);

        Outcome outcome = await RunAsync(sut, tally);

        AssertOutcome(tally, outcome);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task FollowFileSource_MutatedRecords_EachCountedOnceAndBadOnesDeadLettered(RecordFormat format, int seed)
    {
        byte[] document = MalformedDocument.Create(Generator(format, seed), Records, out DocumentTally tally, terminateLast: true);
        string path = _files.Create(document);
        SourceOptions source = Source(format, path);
        source.Follow = true;
        source.PollInterval = TimeSpan.FromMilliseconds(10);

        // A followed file never ends: stop it once a block reports every record handed in.
        Outcome outcome = await RunAsync(PointSourceFactory.Create(source, 0, Options()), tally, stopAtRecords: tally.Records);

        AssertOutcome(tally, outcome);
    }

    [Fact]
    public void Generator_SameSeed_SameDocument()
    {
        byte[] first = MalformedDocument.Create(Generator(RecordFormat.Csv, 5), 500, out _);
        byte[] second = MalformedDocument.Create(Generator(RecordFormat.Csv, 5), 500, out _);

        Assert.Equal(first, second);
    }

    public void Dispose() => _files.Dispose();

    private static MalformedRecordGenerator Generator(RecordFormat format, int seed) =>
        new(format == RecordFormat.Csv ? InputFormat.Csv : InputFormat.JsonLines, seed, Dimensions, MaxRecordLength);

    private static StreamingClustersOptions Options() => new()
    {
        Dimensions = Dimensions,
        MaxRecordLength = MaxRecordLength,
        BlockSize = 64,
        ChannelCapacity = 1024,
    };

    private static SourceOptions Source(RecordFormat format, string path) => new()
    {
        Name = "fuzz",
        Path = path,
        Format = format,
    };

    private static async Task<Outcome> RunAsync(IPointSource source, DocumentTally tally, long? stopAtRecords = null)
    {
        var deadLetters = new CollectingDeadLetterSink();
        var stage = new IngestStage(Options(), deadLetters);
        SourceIngest ingest = stage.Open(source.Name);
        using var stop = new CancellationTokenSource();
        long applied = 0;
        var points = new List<float[]>();
        async Task DrainAsync()
        {
            ChannelReader<PointBlock> reader = stage.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out PointBlock? block))
                {
                    stage.Consumed(block);
                    ReadOnlySpan<float> values = block.Points;
                    for (int i = 0; i < block.Count; i++)
                    {
                        points.Add(values.Slice(i * block.Dimensions, block.Dimensions).ToArray());
                    }

                    applied += block.Count;
                    long through = block.RecordsThrough;
                    block.Source.AddApplied(block.Count);
                    block.Return();
                    if (through == stopAtRecords)
                    {
                        await stop.CancelAsync();
                    }
                }
            }
        }

        Task drain = DrainAsync();
        Exception? failure = null;
        try
        {
            await source.RunAsync(ingest, stop.Token).WaitAsync(Hang);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && stopAtRecords is not null)
        {
            // The followed file was stopped on purpose.
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            failure = e;
        }
        finally
        {
            stage.Complete();
        }

        await drain.WaitAsync(Hang);
        Assert.True(tally.Records > 0);
        return new Outcome(failure, applied, ingest.Counters, deadLetters.Records, points);
    }

    private static void AssertOutcome(DocumentTally tally, Outcome outcome)
    {
        Assert.Null(outcome.Failure);
        Assert.Equal(tally.Records, outcome.Counters.Received);
        Assert.Equal(tally.Records, outcome.Applied + outcome.Counters.Rejected);
        Assert.Equal(outcome.Counters.Rejected, outcome.DeadLetters.Count);
        Assert.All(outcome.DeadLetters, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason)));
        Assert.All(outcome.Points, p => Assert.True(p.Length == Dimensions && p.All(v => float.IsFinite(v) && MathF.Abs(v) <= 1e15f)));

        Dictionary<long, Verdict> lines = tally.Lines!;
        var rejectedLines = new HashSet<long>();
        foreach (RejectedRecord rejected in outcome.DeadLetters)
        {
            Assert.True(rejectedLines.Add(rejected.Record), $"line {rejected.Record} was rejected twice");
            Assert.True(lines.TryGetValue(rejected.Record, out Verdict verdict), $"line {rejected.Record} is not a record: {rejected.Reason}");
            Assert.True(verdict != Verdict.Accept, $"good line {rejected.Record} ({tally.Kinds![rejected.Record]}) was rejected: {rejected.Reason} [{rejected.Raw}]");
        }

        long[] missed = [.. lines.Where(l => l.Value == Verdict.Reject && !rejectedLines.Contains(l.Key)).Select(l => l.Key)];
        Assert.True(missed.Length == 0, $"bad lines applied: {string.Join(", ", missed.Take(10).Select(l => $"{l} ({tally.Kinds![l]})"))}");
        long unknownApplied = lines.Count(l => l.Value == Verdict.Unknown && !rejectedLines.Contains(l.Key));
        Assert.Equal(tally.MustAccept + unknownApplied, outcome.Applied);
    }

    private sealed record Outcome(Exception? Failure, long Applied, SourceCounters Counters, IReadOnlyList<RejectedRecord> DeadLetters, List<float[]> Points);

    /// <summary>A stream that hands out its bytes a few at a time, as a pipe does.</summary>
    private sealed class TrickleStream(byte[] bytes, int seed) : MemoryStream(bytes, writable: false)
    {
        private readonly Random _random = new(seed);

        // The other reads of a derived MemoryStream come down to this one.
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1 + _random.Next(200)));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));
    }
}
