using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using static StreamingClusters.Worker.Tests.Http.HttpRequests;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>Named models through the real worker: created by PUT or declared, each learning only its own points under /models/{name}.</summary>
public sealed class NamedModelsTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    /// <summary>Nine points of three dimensions in three groups.</summary>
    private const string ThreeDimensions = "0,0,0\n0.1,0,0\n10,10,10\n10.1,10,10\n-10,5,0\n-10.1,5,0\n0,0.1,0\n10,10.1,10\n-10,5.1,0\n";

    /// <summary>Six points of one dimension in two groups.</summary>
    private const string OneDimension = "0\n0.2\n100\n100.2\n0.1\n100.1\n";

    [Fact]
    public async Task Put_TwoModelsOfOtherShapes_EachLearnsOnlyItsOwnPointsCountedExactly()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();

        using (HttpResponseMessage created = await PutJsonAsync(server.Client, "/models/plant-a", """{"Clusters": 3, "Dimensions": 3, "Seeding": {"BufferSize": 6}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/models/plant-a", created.Headers.Location?.OriginalString);
            using JsonDocument model = await ReadJsonAsync(created);
            Assert.Equal(("plant-a", 3, 3, "KMeans", -1L, 0L), Summary(model.RootElement));
        }

        using (HttpResponseMessage created = await PutJsonAsync(server.Client, "/models/line_b", """{"Clusters": 2, "Dimensions": 1, "Seeding": {"BufferSize": 4}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using EventReader streamA = await OpenStreamAsync(server.Client, path: "/models/plant-a/stream");
        using EventReader streamB = await OpenStreamAsync(server.Client, path: "/models/line_b/stream");
        using (HttpResponseMessage posted = await PostAsync(server.Client, "/models/plant-a/points", ThreeDimensions))
        using (JsonDocument answer = await ReadJsonAsync(posted))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            Assert.Equal((9, 0), (answer.RootElement.GetProperty("accepted").GetInt32(), answer.RootElement.GetProperty("rejected").GetInt32()));
        }

        using (HttpResponseMessage posted = await PostAsync(server.Client, "/models/line_b/points", OneDimension + "x\n"))
        using (JsonDocument answer = await ReadJsonAsync(posted))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            Assert.Equal((6, 1), (answer.RootElement.GetProperty("accepted").GetInt32(), answer.RootElement.GetProperty("rejected").GetInt32()));
        }

        using (JsonDocument a = await SnapshotWithAsync(streamA, applied: 9))
        {
            Assert.Equal((3, 3), (a.RootElement.GetProperty("clusters").GetInt32(), a.RootElement.GetProperty("dimensions").GetInt32()));
            Assert.All(a.RootElement.GetProperty("centroids").EnumerateArray(), c => Assert.Equal(3, c.GetArrayLength()));
            Assert.Equal((9L, 0L), Http(a.RootElement));
        }

        using (JsonDocument b = await SnapshotWithAsync(streamB, applied: 6))
        {
            double[] centroids = [.. b.RootElement.GetProperty("centroids").EnumerateArray().Select(c => Assert.Single(c.EnumerateArray()).GetDouble()).Order()];
            Assert.Equal(0.1, centroids[0], 4);
            Assert.Equal(100.1, centroids[1], 4);
            Assert.Equal((6L, 1L), Http(b.RootElement));
        }

        using (JsonDocument list = await ReadJsonAsync(await server.Client.GetAsync(new Uri("/models", UriKind.Relative))))
        {
            (string, int, int, string, long, long)[] models = [.. list.RootElement.GetProperty("models").EnumerateArray().Select(Summary)];
            Assert.Equal(["default", "line_b", "plant-a"], models.Select(m => m.Item1));
            Assert.Equal((2, 2, 0L), (models[0].Item2, models[0].Item3, models[0].Item6));
            Assert.Equal((2, 1, 6L), (models[1].Item2, models[1].Item3, models[1].Item6));
            Assert.Equal((3, 3, 9L), (models[2].Item2, models[2].Item3, models[2].Item6));
            Assert.True(models[1].Item5 >= 0 && models[2].Item5 >= 0);
        }

        // The default model saw none of it.
        using (HttpResponseMessage model = await server.Client.GetAsync(new Uri("/model", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, model.StatusCode);
        }

        using (HttpResponseMessage scored = await PostAsync(server.Client, "/models/line_b/score", "0.05\n99\n"))
        using (JsonDocument answer = await ReadJsonAsync(scored))
        {
            Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
            int[] clusters = [.. answer.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("cluster").GetInt32())];
            Assert.NotEqual(clusters[0], clusters[1]);
        }

        string metrics = await server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Matches(Series("streamingclusters_points_applied_total", "plant-a", 9), metrics);
        Assert.Matches(Series("streamingclusters_points_applied_total", "line_b", 6), metrics);
        Assert.Matches(Series("streamingclusters_records_rejected_total", "line_b", 1), metrics);
    }

    [Fact]
    public async Task DefaultRoutes_AreTheModelNamedDefault()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        using EventReader stream = await OpenStreamAsync(server.Client);

        using (HttpResponseMessage posted = await PostAsync(server.Client, "/points", "0,0\n0.1,0\n10,10\n10,10.1\n"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using (HttpResponseMessage posted = await PostAsync(server.Client, "/models/default/points", "0,0.1\n0.1,0.1\n10.1,10\n9.9,10\n"))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        using JsonDocument seeded = await SnapshotWithAsync(stream, applied: 8);
        string model = await server.Client.GetStringAsync(new Uri("/model", UriKind.Relative));
        string named = await server.Client.GetStringAsync(new Uri("/models/default", UriKind.Relative));
        Assert.Equal(model, named);
        Assert.Equal((8L, 0L), Http(seeded.RootElement));
        using JsonDocument list = await ReadJsonAsync(await server.Client.GetAsync(new Uri("/models", UriKind.Relative)));
        Assert.Equal(("default", 2, 2, "KMeans", seeded.RootElement.GetProperty("version").GetInt64(), 8L), Summary(Assert.Single(list.RootElement.GetProperty("models").EnumerateArray())));
        Assert.Matches(Series("streamingclusters_points_applied_total", "default", 8), await server.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
        // The probe keeps its fields of the default pipeline and lists every model.
        using JsonDocument health = await ReadJsonAsync(await server.Client.GetAsync(new Uri("/healthz", UriKind.Relative)));
        long version = seeded.RootElement.GetProperty("version").GetInt64();
        Assert.Equal(("ready", version), (health.RootElement.GetProperty("status").GetString(), health.RootElement.GetProperty("version").GetInt64()));
        JsonElement listed = Assert.Single(health.RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal(("default", "ready", version, 8L), (listed.GetProperty("name").GetString(), listed.GetProperty("status").GetString(), listed.GetProperty("version").GetInt64(), listed.GetProperty("pointsApplied").GetInt64()));
    }

    [Fact]
    public async Task Put_SameSettingsAgain_200_OtherSettings_409_AndTheModelUnchanged()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        const string Settings = """{"Clusters": 3, "HalfLife": "50batches"}""";

        using (HttpResponseMessage first = await PutJsonAsync(server.Client, "/models/m1", Settings))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (HttpResponseMessage again = await PutJsonAsync(server.Client, "/models/m1", """{"halflife": "50batches", "Clusters": "3"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (HttpResponseMessage other = await PutJsonAsync(server.Client, "/models/m1", """{"Clusters": 4}"""))
        using (JsonDocument answer = await ReadJsonAsync(other))
        {
            Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
            Assert.Contains("the model 'm1' exists with other settings", answer.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage existing = await PutJsonAsync(server.Client, "/models/default", "{}"))
        {
            Assert.Equal(HttpStatusCode.OK, existing.StatusCode);
        }

        using (HttpResponseMessage other = await PutJsonAsync(server.Client, "/models/default", """{"Clusters": 5}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        }

        using JsonDocument list = await ReadJsonAsync(await server.Client.GetAsync(new Uri("/models", UriKind.Relative)));
        Assert.Equal(3, list.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "m1").GetProperty("clusters").GetInt32());
    }

    [Theory]
    [InlineData("""{"Clusters": 0}""", "StreamingClusters:Clusters must be between 1 and 65536.")]
    [InlineData("""{"HalfLife": "soon"}""", "StreamingClusters:HalfLife 'soon' is not a half-life: give a count with its unit (20000points, 50batches), a duration (10m, 30s, 2h) or 'none'.")]
    [InlineData("""{"Seeding": {"BufferSize": 2}, "Clusters": 3}""", "StreamingClusters:Seeding:BufferSize (2) must be at least StreamingClusters:Clusters (3).")]
    [InlineData("""{"BatchTimeout": "soon"}""", "StreamingClusters:BatchTimeout")]
    [InlineData("""{"Clusters": "many"}""", "StreamingClusters:Clusters")]
    [InlineData("""{"Sources": [{"Path": "x.csv"}]}""", "StreamingClusters:Models:bad-settings:Sources:0:Path is not a setting a model has of its own")]
    [InlineData("""{"Clusterz": 3}""", "StreamingClusters:Models:bad-settings:Clusterz is not a setting a model has of its own")]
    [InlineData("""[3]""", "The settings must be a JSON object of settings, not array.")]
    [InlineData("""{"Clusters": """, "The settings are not JSON")]
    public async Task Put_SettingRefused_400NamingIt_AndNoModel(string settings, string expected)
    {
        await using WorkerServer server = await WorkerServer.StartAsync();

        using HttpResponseMessage refused = await PutJsonAsync(server.Client, "/models/bad-settings", settings);
        using JsonDocument answer = await ReadJsonAsync(refused);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(expected, answer.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        using HttpResponseMessage missing = await server.Client.GetAsync(new Uri("/models/bad-settings", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Routes_UnknownName404_BadName400_OnEveryRoute()
    {
        await using WorkerServer server = await WorkerServer.StartAsync();
        const string Unknown = "there is no model named 'nope'; GET /models lists them, PUT /models/nope with its settings creates it";
        const string Bad = "'Bad.Name' is not a model name: give 1 to 64 characters, lower-case letters, digits, '-' and '_', beginning with a letter or a digit.";

        foreach ((string name, HttpStatusCode status, string message) in new[] { ("nope", HttpStatusCode.NotFound, Unknown), ("Bad.Name", HttpStatusCode.BadRequest, Bad) })
        {
            HttpResponseMessage[] answers =
            [
                await server.Client.GetAsync(new Uri($"/models/{name}", UriKind.Relative)),
                await server.Client.GetAsync(new Uri($"/models/{name}/stream", UriKind.Relative)),
                await PostAsync(server.Client, $"/models/{name}/points", "1,2\n"),
                await PostAsync(server.Client, $"/models/{name}/score", "1,2\n"),
            ];
            foreach (HttpResponseMessage answer in answers)
            {
                using (answer)
                {
                    Assert.Equal(status, answer.StatusCode);
                    using JsonDocument error = await ReadJsonAsync(answer);
                    Assert.Equal(message, error.RootElement.GetProperty("error").GetString());
                }
            }
        }

        string tooLong = new('a', 65);
        using HttpResponseMessage put = await PutJsonAsync(server.Client, $"/models/{tooLong}", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        using HttpResponseMessage putBad = await PutJsonAsync(server.Client, "/models/-lead", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, putBad.StatusCode);
    }

    [Fact]
    public async Task Declared_ModelsUnderStreamingClustersModels_LayeredOverTheTopLevelSettings()
    {
        await using WorkerServer server = await WorkerServer.StartAsync(
            "--StreamingClusters:Models:cfg:Clusters=3", "--StreamingClusters:Models:cfg:Seeding:BufferSize=5");

        using JsonDocument list = await ReadJsonAsync(await server.Client.GetAsync(new Uri("/models", UriKind.Relative)));
        JsonElement cfg = list.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "cfg");
        Assert.Equal(("cfg", 3, 2, "KMeans", -1L, 0L), Summary(cfg));

        // Its settings were given by configuration; the same again by PUT is the same model.
        using HttpResponseMessage again = await PutJsonAsync(server.Client, "/models/cfg", """{"Clusters": 3, "Seeding": {"BufferSize": 5}}""");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Declared_SettingRefused_WorkerRefusesToStartNamingTheModelAndSetting()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("sc-models-");
        try
        {
            WorkerProcess.Result run = await WorkerProcess.RunAsync(
                dir.FullName, null, "--urls", "http://127.0.0.1:0", "--clusters", "2", "--StreamingClusters:Models:cfg:Clusters=0");

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("Configuration refused: StreamingClusters:Models:cfg:Clusters must be between 1 and 65536.", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Restart_WithCheckpoints_PutModelIsMadeAgainWithItsStateAndDeadLettersNameIt()
    {
        DirectoryInfo state = Directory.CreateTempSubdirectory("sc-models-state-");
        try
        {
            string checkpoint = Path.Combine(state.FullName, "model.ckpt");
            long version;
            await using (WorkerServer first = await WorkerServer.StartAsync("--checkpoint", checkpoint))
            {
                using (HttpResponseMessage created = await PutJsonAsync(first.Client, "/models/kept", """{"Clusters": 2, "Dimensions": 1, "Seeding": {"BufferSize": 4}}"""))
                {
                    Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                }

                using EventReader stream = await OpenStreamAsync(first.Client, path: "/models/kept/stream");
                using (HttpResponseMessage posted = await PostAsync(first.Client, "/models/kept/points", OneDimension + "oops\n"))
                {
                    Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
                }

                using (JsonDocument snapshot = await SnapshotWithAsync(stream, applied: 6))
                {
                    version = snapshot.RootElement.GetProperty("version").GetInt64();
                }

                Assert.Equal(0, await first.StopAsync());
                string deadLetter = Assert.Single(await File.ReadAllLinesAsync(first.DeadLetterPath));
                using JsonDocument dead = JsonDocument.Parse(deadLetter);
                Assert.Equal(("kept", "http", "oops"), (dead.RootElement.GetProperty("model").GetString(), dead.RootElement.GetProperty("source").GetString(), dead.RootElement.GetProperty("raw").GetString()));
            }

            Assert.True(File.Exists(Path.Combine(state.FullName, "kept", "model.json")));
            Assert.True(File.Exists(Path.Combine(state.FullName, "kept", "model.ckpt")));
            await using WorkerServer second = await WorkerServer.StartAsync("--checkpoint", checkpoint);
            using (JsonDocument list = await ReadJsonAsync(await second.Client.GetAsync(new Uri("/models", UriKind.Relative))))
            {
                Assert.Contains(list.RootElement.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "kept");
            }

            // One more point goes on from the restored model: the next version, and every point counted once.
            using EventReader resumed = await OpenStreamAsync(second.Client, path: "/models/kept/stream");
            using (HttpResponseMessage posted = await PostAsync(second.Client, "/models/kept/points", "0.15\n"))
            {
                Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            }

            using (JsonDocument snapshot = await SnapshotWithAsync(resumed, applied: 7))
            {
                Assert.Equal(version + 1, snapshot.RootElement.GetProperty("version").GetInt64());
                Assert.Equal((7L, 1L), Http(snapshot.RootElement));
            }

            using (JsonDocument list = await ReadJsonAsync(await second.Client.GetAsync(new Uri("/models", UriKind.Relative))))
            {
                JsonElement kept = list.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "kept");
                Assert.Equal(("kept", 2, 1, "KMeans", version + 1, 7L), Summary(kept));
            }

            using HttpResponseMessage again = await PutJsonAsync(second.Client, "/models/kept", """{"Clusters": 2, "Dimensions": 1, "Seeding": {"BufferSize": 4}}""");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Restart_DeclaredModelsClustersChangedOverItsCheckpoint_RefusedAtStartAndByPut()
    {
        DirectoryInfo state = Directory.CreateTempSubdirectory("sc-models-state-");
        try
        {
            string checkpoint = Path.Combine(state.FullName, "model.ckpt");
            string[] press = ["--StreamingClusters:Models:press-1:Dimensions=1", "--StreamingClusters:Models:press-1:Seeding:BufferSize=4"];
            await using (WorkerServer first = await WorkerServer.StartAsync(["--checkpoint", checkpoint, "--StreamingClusters:Models:press-1:Clusters=3", .. press]))
            {
                using EventReader stream = await OpenStreamAsync(first.Client, path: "/models/press-1/stream");
                using (HttpResponseMessage posted = await PostAsync(first.Client, "/models/press-1/points", OneDimension))
                {
                    Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
                }

                using (await SnapshotWithAsync(stream, applied: 6))
                {
                }

                Assert.Equal(0, await first.StopAsync());
            }

            string kept = Path.Combine(state.FullName, "press-1", "model.ckpt");
            Assert.True(File.Exists(kept));
            WorkerProcess.Result refused = await WorkerProcess.RunAsync(
                state.FullName, null, ["--urls", "http://127.0.0.1:0", "--checkpoint", checkpoint, "--StreamingClusters:Models:press-1:Clusters=4", .. press]);

            Assert.Equal(2, refused.ExitCode);
            Assert.Contains(
                $"Configuration refused: StreamingClusters:Models:press-1: The checkpoint '{kept}' holds a model of k = 3, d = 1, but the configuration asks for k = 4, d = 1 (StreamingClusters:Models:press-1:Clusters, StreamingClusters:Models:press-1:Dimensions).",
                refused.Error,
                StringComparison.Ordinal);

            await using WorkerServer undeclared = await WorkerServer.StartAsync("--checkpoint", checkpoint);
            using (HttpResponseMessage put = await PutJsonAsync(undeclared.Client, "/models/press-1", """{"Clusters": 4, "Dimensions": 1}"""))
            {
                Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
                Assert.Contains("holds a model of k = 3, d = 1, but the configuration asks for k = 4", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using JsonDocument list = await ReadJsonAsync(await undeclared.Client.GetAsync(new Uri("/models", UriKind.Relative)));
            Assert.Equal(["default"], list.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Delete_APutModel_204_GoneFromEveryRouteAndFromDisk_DefaultAndDeclared409_NameFreeAgain()
    {
        DirectoryInfo state = Directory.CreateTempSubdirectory("sc-models-state-");
        try
        {
            string checkpoint = Path.Combine(state.FullName, "model.ckpt");
            await using WorkerServer server = await WorkerServer.StartAsync("--checkpoint", checkpoint, "--StreamingClusters:Models:cfg:Clusters=3");
            using (HttpResponseMessage created = await PutJsonAsync(server.Client, "/models/gone", """{"Clusters": 2, "Dimensions": 1, "Seeding": {"BufferSize": 4}}"""))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            using (EventReader stream = await OpenStreamAsync(server.Client, path: "/models/gone/stream"))
            {
                using (HttpResponseMessage posted = await PostAsync(server.Client, "/models/gone/points", OneDimension))
                {
                    Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
                }

                using (await SnapshotWithAsync(stream, applied: 6))
                {
                }
            }

            Assert.True(Directory.Exists(Path.Combine(state.FullName, "gone")));
            using (HttpResponseMessage deleted = await server.Client.DeleteAsync(new Uri("/models/gone", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }

            Assert.False(Directory.Exists(Path.Combine(state.FullName, "gone")));
            const string Unknown = "there is no model named 'gone'; GET /models lists them, PUT /models/gone with its settings creates it";
            HttpResponseMessage[] answers =
            [
                await server.Client.GetAsync(new Uri("/models/gone", UriKind.Relative)),
                await server.Client.GetAsync(new Uri("/models/gone/stream", UriKind.Relative)),
                await PostAsync(server.Client, "/models/gone/points", "1\n"),
                await PostAsync(server.Client, "/models/gone/score", "1\n"),
            ];
            foreach (HttpResponseMessage answer in answers)
            {
                using (answer)
                using (JsonDocument error = await ReadJsonAsync(answer))
                {
                    Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
                    Assert.Equal(Unknown, error.RootElement.GetProperty("error").GetString());
                }
            }

            foreach ((string name, HttpStatusCode status, string message) in new[]
            {
                ("gone", HttpStatusCode.NotFound, "there is no model named 'gone'; GET /models lists them"),
                ("default", HttpStatusCode.Conflict, "the model 'default' is the one of the top-level StreamingClusters settings and its sources; it cannot be deleted"),
                ("cfg", HttpStatusCode.Conflict, "the model 'cfg' is declared in configuration (StreamingClusters:Models:cfg) and would be made again at the next start; remove it there instead"),
                ("Bad.Name", HttpStatusCode.BadRequest, "'Bad.Name' is not a model name: give 1 to 64 characters, lower-case letters, digits, '-' and '_', beginning with a letter or a digit."),
            })
            {
                using HttpResponseMessage refused = await server.Client.DeleteAsync(new Uri($"/models/{name}", UriKind.Relative));
                using JsonDocument error = await ReadJsonAsync(refused);
                Assert.Equal((status, message), (refused.StatusCode, error.RootElement.GetProperty("error").GetString()));
            }

            using (JsonDocument list = await ReadJsonAsync(await server.Client.GetAsync(new Uri("/models", UriKind.Relative))))
            {
                Assert.Equal(["cfg", "default"], list.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
            }

            // The name is free: made again with another k, from nothing (no checkpoint of the old one refuses it).
            using (HttpResponseMessage remade = await PutJsonAsync(server.Client, "/models/gone", """{"Clusters": 3, "Dimensions": 1, "Seeding": {"BufferSize": 4}}"""))
            using (JsonDocument model = await ReadJsonAsync(remade))
            {
                Assert.Equal(HttpStatusCode.Created, remade.StatusCode);
                Assert.Equal(("gone", 3, 1, "KMeans", -1L, 0L), Summary(model.RootElement));
            }
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Restart_WithCheckpoints_RestoredModelsAnswerAtOnce_BeforeAnyPoint()
    {
        DirectoryInfo state = Directory.CreateTempSubdirectory("sc-models-state-");
        try
        {
            string checkpoint = Path.Combine(state.FullName, "model.ckpt");
            (long Version, string Centroids) keptBefore, defaultBefore;
            await using (WorkerServer first = await WorkerServer.StartAsync("--checkpoint", checkpoint))
            {
                using (HttpResponseMessage created = await PutJsonAsync(first.Client, "/models/kept", """{"Clusters": 2, "Dimensions": 1, "Seeding": {"BufferSize": 4}}"""))
                {
                    Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                }

                using EventReader kept = await OpenStreamAsync(first.Client, path: "/models/kept/stream");
                using EventReader top = await OpenStreamAsync(first.Client);
                using HttpResponseMessage postedKept = await PostAsync(first.Client, "/models/kept/points", OneDimension);
                using HttpResponseMessage postedTop = await PostAsync(first.Client, "/points", "0,0\n0.1,0\n10,10\n10,10.1\n0,0.1\n0.1,0.1\n10.1,10\n9.9,10\n");
                Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (postedKept.StatusCode, postedTop.StatusCode));
                using (JsonDocument k = await SnapshotWithAsync(kept, applied: 6))
                using (JsonDocument d = await SnapshotWithAsync(top, applied: 8))
                {
                    keptBefore = (k.RootElement.GetProperty("version").GetInt64(), k.RootElement.GetProperty("centroids").GetRawText());
                    defaultBefore = (d.RootElement.GetProperty("version").GetInt64(), d.RootElement.GetProperty("centroids").GetRawText());
                }

                Assert.Equal(0, await first.StopAsync());
            }

            await using WorkerServer second = await WorkerServer.StartAsync("--checkpoint", checkpoint);
            foreach ((string path, (long version, string centroids), long applied) in new[] { ("/models/kept", keptBefore, 6L), ("/model", defaultBefore, 8L) })
            {
                using HttpResponseMessage answer = await second.Client.GetAsync(new Uri(path, UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                using JsonDocument snapshot = await ReadJsonAsync(answer);
                Assert.Equal(version, snapshot.RootElement.GetProperty("version").GetInt64());
                Assert.Equal(centroids, snapshot.RootElement.GetProperty("centroids").GetRawText());
                Assert.Equal(applied, snapshot.RootElement.GetProperty("pointsApplied").GetInt64());
            }

            using HttpResponseMessage scored = await PostAsync(second.Client, "/models/kept/score", "0.05\n99\n");
            Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static (string Name, int Clusters, int Dimensions, string Model, long Version, long PointsApplied) Summary(JsonElement model) =>
        (model.GetProperty("name").GetString()!,
         model.GetProperty("clusters").GetInt32(),
         model.GetProperty("dimensions").GetInt32(),
         model.GetProperty("model").GetString()!,
         model.GetProperty("version").GetInt64(),
         model.GetProperty("pointsApplied").GetInt64());

    /// <summary>Reads snapshots until one has applied <paramref name="applied"/> points.</summary>
    private static async Task<JsonDocument> SnapshotWithAsync(EventReader stream, long applied)
    {
        using var hang = new CancellationTokenSource(Hang);
        while (true)
        {
            ServerEvent e = await stream.NextEventAsync().WaitAsync(hang.Token);
            JsonDocument snapshot = JsonDocument.Parse(e.Data!);
            if (snapshot.RootElement.GetProperty("pointsApplied").GetInt64() == applied)
            {
                return snapshot;
            }

            snapshot.Dispose();
        }
    }

    /// <summary>The applied and rejected records of the source http in a snapshot.</summary>
    private static (long Applied, long Rejected) Http(JsonElement snapshot)
    {
        JsonElement http = snapshot.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "http");
        return (http.GetProperty("applied").GetInt64(), http.GetProperty("rejected").GetInt64());
    }

    private static Regex Series(string name, string model, long value) =>
        new($"(?m)^{Regex.Escape(name)}\\{{(?=[^}}]*model=\"{Regex.Escape(model)}\")(?=[^}}]*source=\"http\")[^}}]*\\}} {value}$");
}
