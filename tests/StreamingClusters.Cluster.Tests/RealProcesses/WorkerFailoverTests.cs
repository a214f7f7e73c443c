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
/// Every post has its own size, <see cref="SizeBase"/> plus its number, so that the points applied beyond
/// the acknowledged ones tell which unanswered posts were applied: their count is the excess divided by
/// <see cref="SizeBase"/>, their numbers' sum the remainder (while the numbers of a few posts sum to less
/// than <see cref="SizeBase"/>). An acknowledged post applied twice, or an unanswered one applied twice,
/// makes an excess that is no sum of distinct unanswered posts' sizes (for up to two unanswered posts
/// exactly; beyond, unless their numbers happen to add up alike).
/// </summary>
public sealed class WorkerFailoverTests(ITestOutputHelper output)
{
    private const string Model = "line-1";
    private const int SizeBase = 1_000;
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
        long duplicatesBefore = await DuplicatesAsync(client, victim);
        long killed = await feed.KillAsync(victim);
        await feed.AnsweredAfterTheKill(PostsAfterTheKill).WaitAsync(Hang);
        await stop.CancelAsync();
        await Task.WhenAll(clients).WaitAsync(Hang);

        WorkerCluster.Worker survivor = workers.First(w => w != victim);
        using JsonDocument model = JsonDocument.Parse(await client.GetStringAsync(new Uri(survivor.Address, $"/models/{Model}")));
        long applied = model.RootElement.GetProperty("pointsApplied").GetInt64();
        long duplicates = model.RootElement.GetProperty("duplicatesDropped").GetInt64();
        IReadOnlyList<int> unanswered = feed.UnansweredSizes;
        long excess = applied - feed.Acknowledged;
        int[][] explanations = [.. Subsets(unanswered).Where(s => s.Sum() == excess)];
        output.WriteLine(FormattableString.Invariant(
            $"killed: worker {victim.Index} ({(victim == host ? "holding the model" : "taking points only")}); acknowledged points: {feed.Acknowledged}; pointsApplied: {applied}; posts without an answer: {unanswered.Count} (sizes {string.Join(", ", unanswered)}); applied of them: {(explanations.Length == 0 ? "none fits" : string.Join(", ", explanations[0]))}; duplicatesDropped: {duplicates} (before the kill {duplicatesBefore})"));
        output.WriteLine(FormattableString.Invariant(
            $"failover: from the kill to the first 200 of a post sent after it: {feed.FirstAnswerAfter(killed).TotalSeconds:F2} s; longest wait between two 200s after the kill: {feed.LongestGapAfter(killed).TotalSeconds:F2} s; load average {File.ReadAllText("/proc/loadavg").Trim()}"));

        // Every acknowledged point applied exactly once; a post that got no answer may or may not have been,
        // once at most: the excess is the sum of the sizes of some of them, each once.
        Assert.NotEmpty(explanations);

        // Only a batch whose answer was lost is resent and dropped: none while every worker lives, and after
        // the kill at most one per surviving worker (one batch in flight each), only when the grain's silo died.
        Assert.Equal(0, duplicatesBefore);
        Assert.InRange(duplicates, 0, victim == host ? workers.Count - 1 : 0);
        Assert.True(feed.AcknowledgedAfterTheKill >= PostsAfterTheKill);
        if (killTheModelsSilo)
        {
            // The model's grain activates again on a survivor (its log line may trail the answers).
            await Task.WhenAny(workers.Where(w => w != victim).Select(w => w.ActivationAsync(Model))).Unwrap().WaitAsync(Hang);
        }
    }

    private static async Task<long> DuplicatesAsync(HttpClient client, WorkerCluster.Worker worker)
    {
        using JsonDocument model = JsonDocument.Parse(await client.GetStringAsync(new Uri(worker.Address, $"/models/{Model}")));
        return model.RootElement.GetProperty("duplicatesDropped").GetInt64();
    }

    private static IEnumerable<int[]> Subsets(IReadOnlyList<int> sizes) =>
        Enumerable.Range(0, 1 << sizes.Count).Select(mask => sizes.Where((_, i) => (mask & (1 << i)) != 0).ToArray());

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
        private readonly List<int> _unanswered = [];
        private int _seed;

        public long Acknowledged { get; private set; }

        public int Unanswered => UnansweredSizes.Count;

        public IReadOnlyList<int> UnansweredSizes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _unanswered];
                }
            }
        }

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
            int size;
            lock (_gate)
            {
                // Post n (from 1) has SizeBase + n points: no two posts alike.
                size = SizeBase + ++_seed;
                body = Body(_seed, size);
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
                    NotAcknowledged(size);
                    return false;
                }

                using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                accepted = answer.RootElement.GetProperty("accepted").GetInt32();
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                NotAcknowledged(size);
                return false;
            }

            long answered = Stopwatch.GetTimestamp();
            List<TaskCompletionSource> reached = [];
            lock (_gate)
            {
                Assert.Equal(size, accepted);
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

        private void NotAcknowledged(int size)
        {
            lock (_gate)
            {
                _unanswered.Add(size);
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
        private static string Body(int seed, int size)
        {
            var random = new Random(seed);
            var rows = new StringBuilder();
            for (int i = 0; i < size; i++)
            {
                int c = random.Next(3);
                rows.Append(CultureInfo.InvariantCulture, $"{(c * 10) + random.NextDouble():F4},{(c * 5) + random.NextDouble():F4}\n");
            }

            return rows.ToString();
        }
    }
}
