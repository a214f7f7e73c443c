using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace StreamingClusters.Cluster.Tests.RealProcesses;

/// <summary>
/// Three workers on one Redis, points posted to all of them by three clients, one worker killed with
/// SIGKILL: the one whose silo holds the model, or one that only takes points. A client whose post got no
/// answer sends its next post to another worker; only posts answered 200 count as acknowledged.
/// </summary>
public sealed class WorkerFailoverTests(ITestOutputHelper output)
{
    private const string Model = "line-1";
    private const int PointsPerPost = 50;
    private const int PostsBeforeTheKill = 6;
    private const int PostsAfterTheKill = 24;
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public Task Post_WorkerHoldingTheModelKilled_EveryAcknowledgedPointAppliedOnce() => KillAndPostAsync(killTheModelsSilo: true);

    [Fact]
    public Task Post_WorkerTakingPointsOnlyKilled_EveryAcknowledgedPointAppliedOnce() => KillAndPostAsync(killTheModelsSilo: false);

    private async Task KillAndPostAsync(bool killTheModelsSilo)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        await using WorkerCluster cluster = await WorkerCluster.StartAsync(3, client);
        IReadOnlyList<WorkerCluster.Worker> workers = cluster.Workers;
        using (HttpResponseMessage put = await client.PutAsync(
            new Uri(workers[0].Address, $"/models/{Model}"),
            new StringContent("""{"Clusters":3,"Dimensions":2,"Seeding":{"BufferSize":300}}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Every worker takes points (the model seeds on the first 300 and is then stepped by statistics).
        var feed = new Feed(client, workers);
        await Task.WhenAll(workers.Select(w => feed.PostUntilAsync(w.Index, stopAt: 4 * 3)));
        Assert.Equal(0, feed.Unanswered);
        WorkerCluster.Worker host = await Task.WhenAny(workers.Select(w => w.ActivationAsync(Model))).Unwrap().WaitAsync(Hang);
        WorkerCluster.Worker victim = killTheModelsSilo ? host : workers.First(w => w != host);

        // Three clients post concurrently; the victim is killed while their posts are in flight.
        using var stop = new CancellationTokenSource();
        int answeredBefore = feed.AnsweredSoFar;
        Task[] clients = [.. workers.Select(w => feed.PostWhileAsync(w.Index, stop.Token))];
        await feed.Answered(answeredBefore + PostsBeforeTheKill).WaitAsync(Hang);
        long killed = await feed.KillAsync(victim);
        await feed.AnsweredAfterTheKill(PostsAfterTheKill).WaitAsync(Hang);
        await stop.CancelAsync();
        await Task.WhenAll(clients).WaitAsync(Hang);

        WorkerCluster.Worker survivor = workers.First(w => w != victim);
        using JsonDocument model = JsonDocument.Parse(await client.GetStringAsync(new Uri(survivor.Address, $"/models/{Model}")));
        long applied = model.RootElement.GetProperty("pointsApplied").GetInt64();
        output.WriteLine(FormattableString.Invariant(
            $"killed: worker {victim.Index} ({(victim == host ? "holding the model" : "taking points only")}); acknowledged points: {feed.Acknowledged}; pointsApplied: {applied}; posts without an answer: {feed.Unanswered} ({feed.UnansweredPoints} points)"));
        output.WriteLine(FormattableString.Invariant(
            $"failover: from the kill to the first 200 of a post sent after it: {feed.FirstAnswerAfter(killed).TotalSeconds:F2} s; longest wait between two 200s after the kill: {feed.LongestGapAfter(killed).TotalSeconds:F2} s; load average {File.ReadAllText("/proc/loadavg").Trim()}"));

        // Every acknowledged point applied exactly once; a post that got no answer may or may not have been.
        Assert.InRange(applied, feed.Acknowledged, feed.Acknowledged + feed.UnansweredPoints);
        Assert.True(feed.AcknowledgedAfterTheKill >= PostsAfterTheKill);
        if (killTheModelsSilo)
        {
            // The model's grain activates again on a survivor (its log line may trail the answers).
            await Task.WhenAny(workers.Where(w => w != victim).Select(w => w.ActivationAsync(Model))).Unwrap().WaitAsync(Hang);
        }
    }

    /// <summary>The clients' posts and what came of them.</summary>
    private sealed class Feed(HttpClient client, IReadOnlyList<WorkerCluster.Worker> workers)
    {
        private readonly object _gate = new();
        private readonly List<(long Sent, long Answered)> _answers = [];
        private readonly List<(int Count, TaskCompletionSource Reached)> _waits = [];
        private readonly List<(int Count, TaskCompletionSource Reached)> _waitsAfterTheKill = [];
        private long _killed = long.MaxValue;
        private int _answered;
        private int _answeredAfterTheKill;
        private int _seed;

        public long Acknowledged { get; private set; }

        public int Unanswered { get; private set; }

        public long UnansweredPoints { get; private set; }

        public int AcknowledgedAfterTheKill => _answeredAfterTheKill;

        public int AnsweredSoFar
        {
            get
            {
                lock (_gate)
                {
                    return _answered;
                }
            }
        }

        public Task Answered(int count) => Wait(_waits, count, () => _answered);

        public Task AnsweredAfterTheKill(int count) => Wait(_waitsAfterTheKill, count, () => _answeredAfterTheKill);

        public async Task<long> KillAsync(WorkerCluster.Worker victim)
        {
            long killed = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                _killed = killed;
            }

            await victim.KillAsync();
            return killed;
        }

        public async Task PostUntilAsync(int worker, int stopAt)
        {
            for (int i = 0; i < stopAt; i++)
            {
                Assert.True(await PostAsync(worker));
            }
        }

        /// <summary>Posts to one worker after another until stopped; a post without an answer moves the client to the next worker.</summary>
        public async Task PostWhileAsync(int worker, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                if (!await PostAsync(worker))
                {
                    worker = (worker + 1) % workers.Count;
                }
            }
        }

        public TimeSpan FirstAnswerAfter(long killed)
        {
            lock (_gate)
            {
                return Stopwatch.GetElapsedTime(killed, _answers.Where(a => a.Sent > killed).Min(a => a.Answered));
            }
        }

        public TimeSpan LongestGapAfter(long killed)
        {
            lock (_gate)
            {
                long[] after = [killed, .. _answers.Select(a => a.Answered).Where(a => a > killed).Order()];
                return after.Skip(1).Zip(after).Select(p => Stopwatch.GetElapsedTime(p.Second, p.First)).Max();
            }
        }

        private async Task<bool> PostAsync(int worker)
        {
            string body;
            lock (_gate)
            {
                body = Body(_seed++);
            }

            long sent = Stopwatch.GetTimestamp();
            int accepted;
            try
            {
                using HttpResponseMessage response = await client.PostAsync(
                    new Uri(workers[worker].Address, $"/models/{Model}/points"),
                    new StringContent(body, Encoding.UTF8, "text/csv"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    // An answer that is not a 200 acknowledges nothing; counted with the unanswered.
                    NotAcknowledged();
                    return false;
                }

                using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                accepted = answer.RootElement.GetProperty("accepted").GetInt32();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                NotAcknowledged();
                return false;
            }

            long answered = Stopwatch.GetTimestamp();
            List<TaskCompletionSource> reached = [];
            lock (_gate)
            {
                Assert.Equal(PointsPerPost, accepted);
                Acknowledged += accepted;
                _answers.Add((sent, answered));
                _answered++;
                if (sent > _killed)
                {
                    _answeredAfterTheKill++;
                }

                reached.AddRange(_waits.Where(w => w.Count <= _answered).Select(w => w.Reached));
                reached.AddRange(_waitsAfterTheKill.Where(w => w.Count <= _answeredAfterTheKill).Select(w => w.Reached));
            }

            reached.ForEach(r => r.TrySetResult());
            return true;
        }

        private void NotAcknowledged()
        {
            lock (_gate)
            {
                Unanswered++;
                UnansweredPoints += PointsPerPost;
            }
        }

        private Task Wait(List<(int Count, TaskCompletionSource Reached)> waits, int count, Func<int> current)
        {
            lock (_gate)
            {
                if (current() >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waits.Add((count, reached));
                return reached.Task;
            }
        }

        /// <summary>A post's points, around three centres, different for every post.</summary>
        private static string Body(int seed)
        {
            var random = new Random(seed);
            var rows = new StringBuilder();
            for (int i = 0; i < PointsPerPost; i++)
            {
                int c = random.Next(3);
                rows.Append(CultureInfo.InvariantCulture, $"{(c * 10) + random.NextDouble():F4},{(c * 5) + random.NextDouble():F4}\n");
            }

            return rows.ToString();
        }
    }
}
