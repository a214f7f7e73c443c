using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamingClusters.Checkpoints;
using StreamingClusters.Diagnostics;
using StreamingClusters.Model;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Checkpoints;

/// <summary>
/// Checkpoint writes that fail — disk full, I/O error, permission refused, directory not a directory —
/// at every step of the write: the write reports the OS error naming the file, the last good checkpoint
/// stays intact and loadable, no temporary file is left, and the next write that can succeed does.
/// </summary>
public sealed class CheckpointWriteFaultTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-ckpt-fault-");

    public void Dispose() => _dir.Delete(recursive: true);

    public static TheoryData<string, string> Faults => new()
    {
        { nameof(FaultyFileSystem.Step.Create), "Permission denied" },
        { nameof(FaultyFileSystem.Step.WriteHalfway), "No space left on device" },
        { nameof(FaultyFileSystem.Step.FlushToDisk), "Input/output error" },
        { nameof(FaultyFileSystem.Step.MoveCurrentToPrevious), "Input/output error" },
        { nameof(FaultyFileSystem.Step.MoveTemporaryToCurrent), "No space left on device" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Write_FailingAtAStep_KeepsTheLastGoodCheckpointAndReportsTheError(string step, string osError)
    {
        var files = new FaultyFileSystem();
        var sut = new CheckpointStore(Path.Combine(_dir.FullName, "model.ckpt"), NullLogger.Instance, files, null);
        Assert.True(sut.Write(Sample(version: 1)));
        Assert.True(sut.Write(Sample(version: 2)));
        files.FailAt = (Enum.Parse<FaultyFileSystem.Step>(step), osError);

        bool written = sut.Write(Sample(version: 3));

        Assert.False(written);
        Assert.Equal(2, sut.Load()!.Model.Version);
        Assert.False(File.Exists(sut.Path + ".tmp"));
        CheckpointStatus failing = sut.Status;
        Assert.True(failing.IsFailing);
        Assert.Equal((2, 1, 1), (failing.Written, failing.Failed, failing.ConsecutiveFailures));
        Assert.Contains(osError, failing.LastError, StringComparison.Ordinal);
        Assert.Contains(sut.Path, failing.LastError, StringComparison.Ordinal);

        Assert.False(sut.Write(Sample(version: 4)));
        Assert.Equal(2, sut.Status.ConsecutiveFailures);
        files.FailAt = null;

        Assert.True(sut.Write(Sample(version: 5)));
        Assert.Equal(5, sut.Load()!.Model.Version);
        Assert.Equal((3, 2, 0, null), (sut.Status.Written, sut.Status.Failed, sut.Status.ConsecutiveFailures, sut.Status.LastError));
    }

    [Fact]
    public void Write_TemporaryFileOnAFullDevice_FailsWithNoSpaceAndKeepsTheLastGood()
    {
        // A real ENOSPC from the kernel: the temporary file is a link to /dev/full, where every write fails.
        var sut = new CheckpointStore(Path.Combine(_dir.FullName, "model.ckpt"), NullLogger.Instance);
        Assert.True(sut.Write(Sample(version: 1)));
        byte[] good = File.ReadAllBytes(sut.Path);
        File.CreateSymbolicLink(sut.Path + ".tmp", "/dev/full");

        Assert.False(sut.Write(Sample(version: 2)));

        Assert.Contains("No space left on device", sut.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(good, File.ReadAllBytes(sut.Path));
        Assert.Equal(1, sut.Load()!.Model.Version);
        Assert.True(sut.Write(Sample(version: 3)));
        Assert.Equal(3, sut.Load()!.Model.Version);
        Assert.False(sut.Status.IsFailing);
    }

    [Fact]
    public void Write_DirectoryIsAFile_FailsNamingThePath()
    {
        // A real ENOTDIR: running as root, permissions cannot make a directory unwritable, but a file in its place can.
        string notADirectory = Path.Combine(_dir.FullName, "state");
        File.WriteAllText(notADirectory, "a file where the checkpoint directory should be");
        var sut = new CheckpointStore(Path.Combine(notADirectory, "model.ckpt"), NullLogger.Instance);

        Assert.False(sut.Write(Sample(version: 1)));

        Assert.Contains(Path.Combine(notADirectory, "model.ckpt.tmp"), sut.Status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, sut.Status.ConsecutiveFailures);
        Assert.Null(sut.Load());
    }

    [Fact]
    public async Task RunAsync_CheckpointWritesFailing_KeepsClusteringAndReportsInStatusAndMetrics()
    {
        string path = Path.Combine(_dir.FullName, "model.ckpt");
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");
        using var meters = new OwnMeterFactory();
        var metrics = new StreamingClustersMetrics(meters);
        var options = new StreamingClustersOptions
        {
            Clusters = 3,
            BatchSize = 512,
            Seeding = { BufferSize = 512 },
            Checkpoint = { Path = path, Interval = TimeSpan.Zero },
        };
        var pipeline = new ClusteringPipeline(options, new RecordingDeadLetterSink(), new FakeTimeProvider(), NullLoggerFactory.Instance, metrics: metrics);
        using var stop = new CancellationTokenSource();
        Task running = pipeline.RunAsync([], stopWhenSourcesEnd: false, stop.Token);

        await pipeline.Writer.WriteAsync(TestData.Blobs(2_048, 2, clusters: 3, seed: 4), 2);
        await stop.CancelAsync();
        await running;

        CentroidSnapshot final = pipeline.Latest!;
        Assert.Equal(2_048, final.PointsApplied);
        CheckpointStatus status = pipeline.CheckpointStatus!;
        // The first write failed on the full device and removed the link; the ones after it went to disk.
        Assert.Equal(1, status.Failed);
        Assert.False(status.IsFailing);
        Assert.Equal(final.Version, new CheckpointStore(path, NullLogger.Instance).Load()!.Model.Version);
        Assert.Equal((status.Written, 1L), (meters.Sum("streamingclusters.checkpoint.writes", "written"), meters.Sum("streamingclusters.checkpoint.writes", "failed")));
    }

    private static Checkpoint Sample(long version)
    {
        var model = new ClusterModel(new ModelSettings(2, 2) { Seed = 5 });
        model.SetCentroids([0.5, 1.5, -2.5, 7]);
        return new Checkpoint
        {
            Model = model.ToState() with { Version = version },
            Counts = [3, 4],
            LastApplied = DateTimeOffset.UnixEpoch,
            Sources = [],
            Written = DateTimeOffset.UnixEpoch,
        };
    }

    /// <summary>The real file system, failing at one chosen step with the message the OS gives for the error.</summary>
    private sealed class FaultyFileSystem : CheckpointFileSystem
    {
        public enum Step
        {
            Create,
            WriteHalfway,
            FlushToDisk,
            MoveCurrentToPrevious,
            MoveTemporaryToCurrent,
        }

        public (Step Step, string Message)? FailAt { get; set; }

        public override Stream Create(string path)
        {
            if (FailAt is (Step.Create, string message))
            {
                throw new UnauthorizedAccessException($"Access to the path '{path}' is denied. ({message})");
            }

            Stream stream = base.Create(path);
            return FailAt is (Step.WriteHalfway, string full) ? new FailingStream(stream, path, full) : stream;
        }

        public override void FlushToDisk(Stream stream)
        {
            if (FailAt is (Step.FlushToDisk, string message))
            {
                throw new IOException($"{message} : '{((FileStream)stream).Name}'");
            }

            base.FlushToDisk(stream);
        }

        public override void Move(string from, string to, bool overwrite)
        {
            bool toPrevious = to.EndsWith(".prev", StringComparison.Ordinal);
            if (FailAt is (Step.MoveCurrentToPrevious, string a) && toPrevious)
            {
                throw new IOException($"{a} : '{from}' -> '{to}'");
            }

            if (FailAt is (Step.MoveTemporaryToCurrent, string b) && !toPrevious)
            {
                throw new IOException($"{b} : '{from}' -> '{to}'");
            }

            base.Move(from, to, overwrite);
        }
    }

    /// <summary>A file that takes the first bytes written, then fails like a full disk.</summary>
    private sealed class FailingStream(Stream inner, string path, string message) : Stream
    {
        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written > 40)
            {
                throw new IOException($"{message} : '{path}'");
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Meters of this test alone, so that other pipelines' measurements do not count.</summary>
    private sealed class OwnMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, long Value, string? Outcome)> _measurements = [];

        public OwnMeterFactory()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                lock (_meters)
                {
                    if (_meters.Contains(instrument.Meter))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? outcome = null;
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "outcome")
                    {
                        outcome = tag.Value as string;
                    }
                }

                lock (_measurements)
                {
                    _measurements.Add((instrument.Name, value, outcome));
                }
            });
            _listener.Start();
        }

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public long Sum(string name, string outcome)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => m.Name == name && m.Outcome == outcome).Sum(m => m.Value);
            }
        }

        public void Dispose()
        {
            _listener.Dispose();
            foreach (Meter meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
