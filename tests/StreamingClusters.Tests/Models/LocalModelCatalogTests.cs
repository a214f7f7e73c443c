using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StreamingClusters.Diagnostics;
using StreamingClusters.Ingest;
using StreamingClusters.Models;
using StreamingClusters.Options;
using StreamingClusters.Publishing;
using StreamingClusters.Sinks;
using StreamingClusters.Tests.TestDoubles;

namespace StreamingClusters.Tests.Models;

/// <summary>Named models in one process, behind <see cref="IModelCatalog"/>: made, refused, fed, drained and made again.</summary>
public sealed class LocalModelCatalogTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sc-catalog-");
    private readonly RecordingDeadLetterSink _deadLetters = new();

    [Fact]
    public async Task CreateAsync_InitialCentroidsOfItsOwn_ReplaceTheTopLevelOnesWholeAndItLearnsOnlyItsPoints()
    {
        using LocalModelCatalog sut = CreateSut(new()
        {
            ["InitialCentroids:0:0"] = "0",
            ["InitialCentroids:0:1"] = "0",
            ["InitialCentroids:1:0"] = "10",
            ["InitialCentroids:1:1"] = "10",
        });
        await sut.StartAsync(CancellationToken.None);

        ModelCreation created = await sut.CreateAsync("three", ModelOverrides.FromJson("""{"Clusters": 3, "InitialCentroids": [[0, 0], [10, 10], [20, 20]]}"""u8));
        IModelHandle model = (await sut.FindAsync("three"))!;
        WriteResult? written = await model.TryWriteAsync("test", new float[] { 0.2f, 0, 10, 10.2f, 20.2f, 20, 0, 0.2f, 10, 9.8f, 19.8f, 20 }, 2, null, TimeSpan.FromSeconds(10));
        await sut.StopAsync(CancellationToken.None);

        Assert.Equal(ModelCreationOutcome.Created, created.Outcome);
        Assert.Equal(new ModelInfo("three", 3, 2, "KMeans", -1, 0, 0, 65_536, 1e15), created.Model);
        Assert.Equal(new WriteResult(6, 0), written);
        CentroidSnapshot final = (await model.LatestAsync())!;
        Assert.Equal((3, 6L), (final.Clusters, final.PointsApplied));
        Assert.Equal([[0.1, 0.1], [10, 10], [20, 20]], final.Centroids.Select(c => c.Select(v => Math.Round(v, 4)).ToArray()));
        IReadOnlyList<ModelInfo> models = await sut.ListAsync();
        Assert.Equal(["default", "three"], models.Select(m => m.Name));
        Assert.Equal((2, 0L), (models[0].Clusters, models[0].PointsApplied));
        Assert.Equal(6L, models[1].PointsApplied);
    }

    [Fact]
    public async Task CreateAsync_SameSettingsAgain_Exists_OtherSettings_Conflict_DefaultIsTheTopLevelOne()
    {
        using LocalModelCatalog sut = CreateSut();
        await sut.StartAsync(CancellationToken.None);

        ModelCreation first = await sut.CreateAsync("m", ModelOverrides.FromJson("""{"Clusters": 3, "Seeding": {"BufferSize": 9}}"""u8));
        ModelCreation same = await sut.CreateAsync("m", ModelOverrides.FromJson("""{"seeding": {"buffersize": "9"}, "clusters": 3}"""u8));
        ModelCreation other = await sut.CreateAsync("m", ModelOverrides.FromJson("""{"Clusters": 4}"""u8));
        ModelCreation defaultSame = await sut.CreateAsync("default", ModelOverrides.Empty);
        ModelCreation defaultOther = await sut.CreateAsync("default", ModelOverrides.FromJson("""{"Clusters": 4}"""u8));
        await sut.StopAsync(CancellationToken.None);

        Assert.Equal(
            [ModelCreationOutcome.Created, ModelCreationOutcome.Exists, ModelCreationOutcome.Conflict, ModelCreationOutcome.Exists, ModelCreationOutcome.Conflict],
            new[] { first, same, other, defaultSame, defaultOther }.Select(c => c.Outcome));
        Assert.Equal("the model 'm' exists with other settings (Clusters=3, Seeding:BufferSize=9); a model's settings do not change once it is made", Assert.Single(other.Problems));
        Assert.Equal(3, other.Model!.Clusters);
    }

    [Fact]
    public async Task CreateAsync_ManyAtOnceForOneName_OneModelMade()
    {
        using LocalModelCatalog sut = CreateSut();
        await sut.StartAsync(CancellationToken.None);
        ModelOverrides settings = ModelOverrides.FromJson("""{"Clusters": 3}"""u8);

        ModelCreation[] creations = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await sut.CreateAsync("m", settings))));
        await sut.StopAsync(CancellationToken.None);

        Assert.Single(creations, c => c.Outcome == ModelCreationOutcome.Created);
        Assert.Equal(7, creations.Count(c => c.Outcome == ModelCreationOutcome.Exists));
        Assert.Equal(["default", "m"], (await sut.ListAsync()).Select(m => m.Name));
    }

    [Theory]
    [InlineData("Bad", """{}""", "'Bad' is not a model name: give 1 to 64 characters, lower-case letters, digits, '-' and '_', beginning with a letter or a digit.")]
    [InlineData("m", """{"Clusters": 0}""", "Clusters: The field StreamingClustersOptions.Clusters must be between 1 and 65536.")]
    [InlineData("m", """{"ReseedRatio": 2}""", "ReseedRatio: StreamingClusters:ReseedRatio must be in [0, 1) (got 2).")]
    [InlineData("m", """{"Seeding": {"IdleTimeout": "soon"}}""", "StreamingClusters:Seeding:IdleTimeout 'soon' is not a duration")]
    [InlineData("m", """{"Clusters": "many"}""", "Failed to convert configuration value 'many' at 'StreamingClusters:Clusters' to type 'System.Int32'.")]
    [InlineData("m", """{"DeadLetterPath": "x"}""", "StreamingClusters:Models:m:DeadLetterPath is not a setting a model has of its own")]
    public async Task CreateAsync_NameOrSettingRefused_RefusedNamingItAndNothingMade(string name, string settings, string expected)
    {
        using LocalModelCatalog sut = CreateSut();

        ModelCreation refused = await sut.CreateAsync(name, ModelOverrides.FromJson(System.Text.Encoding.UTF8.GetBytes(settings)));

        Assert.Equal(ModelCreationOutcome.Refused, refused.Outcome);
        Assert.Null(refused.Model);
        Assert.StartsWith(expected, Assert.Single(refused.Problems), StringComparison.Ordinal);
        Assert.Null(await sut.FindAsync(name));
    }

    [Fact]
    public async Task RejectAsync_NamedModel_CountedOnItsSourceAndDeadLetteredWithItsName()
    {
        using LocalModelCatalog sut = CreateSut();
        await sut.StartAsync(CancellationToken.None);
        await sut.CreateAsync("m", ModelOverrides.Empty);
        IModelHandle model = (await sut.FindAsync("m"))!;

        await model.RejectAsync("http", [new RecordRejection(3, "not a number", "x,1")]);
        ModelInfo info = await model.DescribeAsync();
        await sut.StopAsync(CancellationToken.None);

        RejectedRecord record = Assert.Single(_deadLetters.Records);
        Assert.Equal(new RejectedRecord("http", 3, "not a number", "x,1") { Model = "m" }, record);
        Assert.Equal((0L, 1L), (info.PointsApplied, info.PointsRejected));
    }

    [Fact]
    public async Task TryWriteAsync_PointsWithUnreadableRecords_BothCountedOnItsSourceAndTheRecordsDeadLettered()
    {
        using LocalModelCatalog sut = CreateSut();
        await sut.StartAsync(CancellationToken.None);
        await sut.CreateAsync("m", ModelOverrides.Empty);
        IModelHandle model = (await sut.FindAsync("m"))!;

        WriteResult? written = await model.TryWriteAsync(
            "http", new float[] { 0, 0, 1, 1 }, 2, null, [new RecordRejection(3, "not a number", "x,1")], TimeSpan.FromSeconds(10));
        ModelInfo info = await model.DescribeAsync();
        await sut.StopAsync(CancellationToken.None);

        Assert.Equal(new WriteResult(2, 0), written);
        RejectedRecord record = Assert.Single(_deadLetters.Records);
        Assert.Equal(new RejectedRecord("http", 3, "not a number", "x,1") { Model = "m" }, record);
        Assert.Equal(1L, info.PointsRejected);
    }

    [Fact]
    public async Task StartAsync_DeclaredModels_MadeLayeredOverTheTopLevel_RefusedOnesNamed()
    {
        using LocalModelCatalog sut = CreateSut(new() { ["Models:cfg:Clusters"] = "3" });
        await sut.StartAsync(CancellationToken.None);
        ModelInfo cfg = await (await sut.FindAsync("cfg"))!.DescribeAsync();
        await sut.StopAsync(CancellationToken.None);
        using LocalModelCatalog refused = CreateSut(new() { ["Models:bad:Clusters"] = "0", ["Models:default:Clusters"] = "3" });

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => refused.StartAsync(CancellationToken.None));

        Assert.Equal((3, 2), (cfg.Clusters, cfg.Dimensions));
        Assert.Equal(
            [
                "StreamingClusters:Models:bad: Clusters: The field StreamingClustersOptions.Clusters must be between 1 and 65536.",
                "StreamingClusters:Models:default: 'default' is the model of the top-level StreamingClusters settings; give the named model another name.",
            ],
            ex.Failures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task StartAsync_CheckpointsOn_AModelCreatedEarlierIsMadeAgainFromItsSettingsAndState()
    {
        var checkpoints = new Dictionary<string, string?> { ["Checkpoint:Path"] = Path.Combine(_dir.FullName, "model.ckpt"), ["Checkpoint:Interval"] = "00:00:00" };
        ModelOverrides settings = ModelOverrides.FromJson("""{"Clusters": 3, "InitialCentroids": [[0, 0], [10, 10], [20, 20]]}"""u8);
        using (LocalModelCatalog first = CreateSut(checkpoints))
        {
            await first.StartAsync(CancellationToken.None);
            await first.CreateAsync("kept", settings);
            await (await first.FindAsync("kept"))!.TryWriteAsync("test", new float[] { 0.2f, 0, 10, 10.2f, 20.2f, 20, 0, 0.2f }, 2, null, TimeSpan.FromSeconds(10));
            await first.StopAsync(CancellationToken.None);
        }

        using LocalModelCatalog second = CreateSut(checkpoints);
        await second.StartAsync(CancellationToken.None);
        IModelHandle kept = (await second.FindAsync("kept"))!;
        await kept.TryWriteAsync("test", new float[] { 10, 9.8f, 19.8f, 20 }, 2, null, TimeSpan.FromSeconds(10));
        await second.StopAsync(CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(_dir.FullName, "kept", "model.json")));
        Assert.True(File.Exists(Path.Combine(_dir.FullName, "kept", "model.ckpt")));
        Assert.Equal(ModelCreationOutcome.Exists, (await second.CreateAsync("kept", settings)).Outcome);
        CentroidSnapshot final = (await kept.LatestAsync())!;
        Assert.Equal(6L, final.PointsApplied);
        Assert.Equal([[0.1, 0.1], [10, 10], [20, 20]], final.Centroids.Select(c => c.Select(v => Math.Round(v, 4)).ToArray()));
    }

    [Fact]
    public async Task StartAsync_DeclaredModelWhoseCheckpointHasAnotherK_RefusedNamingTheModelAndTheSetting_CreateAsync_Refused()
    {
        var checkpoints = new Dictionary<string, string?> { ["Checkpoint:Path"] = Path.Combine(_dir.FullName, "model.ckpt"), ["Checkpoint:Interval"] = "00:00:00" };
        using (LocalModelCatalog first = CreateSut(new(checkpoints) { ["Models:press-1:Clusters"] = "3", ["Models:press-1:InitialCentroids:0:0"] = "0", ["Models:press-1:InitialCentroids:0:1"] = "0", ["Models:press-1:InitialCentroids:1:0"] = "10", ["Models:press-1:InitialCentroids:1:1"] = "10", ["Models:press-1:InitialCentroids:2:0"] = "20", ["Models:press-1:InitialCentroids:2:1"] = "20" }))
        {
            await first.StartAsync(CancellationToken.None);
            await (await first.FindAsync("press-1"))!.TryWriteAsync("test", new float[] { 0.2f, 0, 10, 10.2f, 20.2f, 20, 0, 0.2f }, 2, null, TimeSpan.FromSeconds(10));
            await first.StopAsync(CancellationToken.None);
        }

        string checkpoint = Path.Combine(_dir.FullName, "press-1", "model.ckpt");
        Assert.True(File.Exists(checkpoint));
        using LocalModelCatalog declared = CreateSut(new(checkpoints) { ["Models:press-1:Clusters"] = "4" });
        using LocalModelCatalog undeclared = CreateSut(checkpoints);

        OptionsValidationException ex = await Assert.ThrowsAsync<OptionsValidationException>(() => declared.StartAsync(CancellationToken.None));
        await undeclared.StartAsync(CancellationToken.None);
        ModelCreation put = await undeclared.CreateAsync("press-1", ModelOverrides.FromJson("""{"Clusters": 4}"""u8));
        IReadOnlyList<ModelInfo> models = await undeclared.ListAsync();
        await undeclared.StopAsync(CancellationToken.None);

        string reason =
            $"The checkpoint '{checkpoint}' holds a model of k = 3, d = 2, but the configuration asks for k = 4, d = 2 " +
            "(StreamingClusters:Models:press-1:Clusters, StreamingClusters:Models:press-1:Dimensions). Nothing was started; move the checkpoint away or start fresh on purpose with StreamingClusters:Checkpoint:StartFresh=true (--fresh).";
        Assert.Equal($"StreamingClusters:Models:press-1: {reason}", Assert.Single(ex.Failures));
        Assert.Null(await declared.FindAsync("press-1"));
        Assert.Equal(ModelCreationOutcome.Refused, put.Outcome);
        Assert.Equal(reason, Assert.Single(put.Problems));
        Assert.Equal(["default"], models.Select(m => m.Name));
        Assert.False(File.Exists(Path.Combine(_dir.FullName, "press-1", "model.json")));
    }

    [Fact]
    public async Task StopAsync_ANamedModelsRunFails_TakenOutOfTheCatalogWithTheReasonLogged()
    {
        var loggers = new RecordingLoggerFactory();
        using LocalModelCatalog sut = CreateSut(deadLetters: new FailingFlushDeadLetterSink(), loggers: loggers);
        await sut.StartAsync(CancellationToken.None);
        ModelCreation created = await sut.CreateAsync("m", ModelOverrides.Empty);

        // The drain's last step flushes the dead letters, which fails: the run ends with that failure.
        await sut.StopAsync(CancellationToken.None);

        Assert.Equal(ModelCreationOutcome.Created, created.Outcome);
        Assert.Null(await sut.FindAsync("m"));
        Assert.Equal(["default"], (await sut.ListAsync()).Select(m => m.Name));
        Assert.Contains(loggers.Entries, e => e.Event.Id == 601 && e.Message == "Model 'm' stopped and was taken out of the catalog: the dead-letter file cannot be written");
    }

    [Fact]
    public async Task StartAsync_CheckpointsOn_ARestoredModelIsServedBeforeAnyNewPoint()
    {
        var checkpoints = new Dictionary<string, string?> { ["Checkpoint:Path"] = Path.Combine(_dir.FullName, "model.ckpt"), ["Checkpoint:Interval"] = "00:00:00" };
        ModelOverrides settings = ModelOverrides.FromJson("""{"Clusters": 3, "InitialCentroids": [[0, 0], [10, 10], [20, 20]]}"""u8);
        CentroidSnapshot left;
        using (LocalModelCatalog first = CreateSut(checkpoints))
        {
            await first.StartAsync(CancellationToken.None);
            await first.CreateAsync("kept", settings);
            IModelHandle model = (await first.FindAsync("kept"))!;
            await model.TryWriteAsync("test", new float[] { 0.2f, 0, 10, 10.2f, 20.2f, 20, 0, 0.2f }, 2, null, TimeSpan.FromSeconds(10));
            await first.StopAsync(CancellationToken.None);
            left = (await model.LatestAsync())!;
        }

        using LocalModelCatalog second = CreateSut(checkpoints);
        await second.StartAsync(CancellationToken.None);
        IModelHandle kept = (await second.FindAsync("kept"))!;
        CentroidSnapshot? restored = await kept.LatestAsync();
        ModelScores? scores = await kept.ScoreAsync(new float[] { 19, 19 }, 2);
        IReadOnlyList<ModelInfo> models = await second.ListAsync();
        await second.StopAsync(CancellationToken.None);

        Assert.NotNull(restored);
        Assert.Equal((left.Version, 4L), (restored.Version, restored.PointsApplied));
        Assert.Equal(left.Centroids.Select(c => c.ToArray()), restored.Centroids.Select(c => c.ToArray()));
        Assert.Equal(left.Version, scores?.Version);
        Assert.Equal(left.Version, models.Single(m => m.Name == "kept").Version);
    }

    [Fact]
    public async Task DeleteAsync_ACreatedModel_StoppedItsFolderAndSeriesGone_NotMadeAgainAtStart_NameFreeForOtherSettings()
    {
        var checkpoints = new Dictionary<string, string?> { ["Checkpoint:Path"] = Path.Combine(_dir.FullName, "model.ckpt"), ["Checkpoint:Interval"] = "00:00:00" };
        using var series = new AppliedSeries();
        string folder = Path.Combine(_dir.FullName, "gone");
        ModelDeletion deleted, again;
        IModelHandle old;
        using (LocalModelCatalog first = CreateSut(checkpoints))
        {
            await first.StartAsync(CancellationToken.None);
            await first.CreateAsync("gone", ModelOverrides.FromJson("""{"Clusters": 3, "InitialCentroids": [[0, 0], [10, 10], [20, 20]]}"""u8));
            old = (await first.FindAsync("gone"))!;
            await old.TryWriteAsync("test", new float[] { 0.2f, 0, 10, 10.2f, 20.2f, 20, 0, 0.2f }, 2, null, TimeSpan.FromSeconds(10));
            Assert.True(File.Exists(Path.Combine(folder, "model.json")));
            Assert.Contains("gone", series.Models());

            deleted = await first.DeleteAsync("gone");
            again = await first.DeleteAsync("gone");

            Assert.Null(await first.FindAsync("gone"));
            Assert.Equal(["default"], (await first.ListAsync()).Select(m => m.Name));
            Assert.DoesNotContain("gone", series.Models());
            await Assert.ThrowsAsync<InvalidOperationException>(() => old.TryWriteAsync("test", new float[] { 1, 1 }, 2, null, TimeSpan.FromSeconds(10)));
            await first.StopAsync(CancellationToken.None);
        }

        Assert.Equal((ModelDeletionOutcome.Deleted, ModelDeletionOutcome.NotFound), (deleted.Outcome, again.Outcome));
        Assert.False(Directory.Exists(folder));
        Assert.Empty(Directory.EnumerateDirectories(_dir.FullName));

        using LocalModelCatalog second = CreateSut(checkpoints);
        await second.StartAsync(CancellationToken.None);
        Assert.Null(await second.FindAsync("gone"));

        // No checkpoint of k = 3 is left to refuse the name with other settings.
        ModelCreation remade = await second.CreateAsync("gone", ModelOverrides.FromJson("""{"Clusters": 4}"""u8));
        await second.StopAsync(CancellationToken.None);
        Assert.Equal(ModelCreationOutcome.Created, remade.Outcome);
        Assert.Equal((4, -1L, 0L), (remade.Model!.Clusters, remade.Model.Version, remade.Model.PointsApplied));
    }

    [Fact]
    public async Task DeleteAsync_DefaultOrADeclaredModel_RefusedNamingWhy_UnknownOrBadName_NotFound()
    {
        using LocalModelCatalog sut = CreateSut(new() { ["Models:cfg:Clusters"] = "3" });
        await sut.StartAsync(CancellationToken.None);

        ModelDeletion[] answers = [await sut.DeleteAsync("default"), await sut.DeleteAsync("cfg"), await sut.DeleteAsync("nope"), await sut.DeleteAsync("Bad.Name")];
        IReadOnlyList<ModelInfo> models = await sut.ListAsync();
        await sut.StopAsync(CancellationToken.None);

        Assert.Equal(
            [ModelDeletionOutcome.Refused, ModelDeletionOutcome.Refused, ModelDeletionOutcome.NotFound, ModelDeletionOutcome.NotFound],
            answers.Select(a => a.Outcome));
        Assert.Equal("the model 'default' is the one of the top-level StreamingClusters settings and its sources; it cannot be deleted", answers[0].Problem);
        Assert.Equal("the model 'cfg' is declared in configuration (StreamingClusters:Models:cfg) and would be made again at the next start; remove it there instead", answers[1].Problem);
        Assert.Equal(["cfg", "default"], models.Select(m => m.Name));
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private LocalModelCatalog CreateSut(Dictionary<string, string?>? more = null, IDeadLetterSink? deadLetters = null, ILoggerFactory? loggers = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Clusters"] = "2",
            ["Dimensions"] = "2",
            ["BatchSize"] = "4",
            ["Parallelism"] = "1",
        };
        foreach ((string key, string? value) in more ?? [])
        {
            values[key] = value;
        }

        IConfigurationSection section = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(p => new KeyValuePair<string, string?>($"StreamingClusters:{p.Key}", p.Value)))
            .Build()
            .GetSection("StreamingClusters");
        var top = new StreamingClustersOptions();
        section.Bind(top);
        if (values.TryGetValue("Checkpoint:Interval", out string? interval))
        {
            top.Checkpoint.Interval = TimeSpan.Parse(interval!, CultureInfo.InvariantCulture);
        }

        var metrics = new StreamingClustersMetrics();
        var pipeline = new ClusteringPipeline(top, _deadLetters, TimeProvider.System, NullLoggerFactory.Instance, metrics: metrics);
        return new LocalModelCatalog(section, pipeline, Microsoft.Extensions.Options.Options.Create(top), deadLetters ?? _deadLetters, TimeProvider.System, loggers ?? NullLoggerFactory.Instance, metrics);
    }

    /// <summary>Reads which models the observed series of applied points are reported for, as a scrape would.</summary>
    private sealed class AppliedSeries : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly List<string> _models = [];

        public AppliedSeries()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StreamingClustersMetrics.MeterName && instrument.Name == "streamingclusters.points.applied")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "model")
                    {
                        _models.Add((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public string[] Models()
        {
            _models.Clear();
            _listener.RecordObservableInstruments();
            return [.. _models.Distinct()];
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>A dead-letter sink whose flush fails, as a full disk's would.</summary>
    private sealed class FailingFlushDeadLetterSink : IDeadLetterSink
    {
        public void Write(in RejectedRecord record)
        {
        }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.FromException(new IOException("the dead-letter file cannot be written"));
    }
}
