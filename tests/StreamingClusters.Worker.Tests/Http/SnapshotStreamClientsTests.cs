using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>
/// Ten clients of GET /model/stream over real loopback HTTP: eight that read, one that never reads its
/// socket and one that goes away after its first event. The non-reader is dropped once an event has
/// waited for it (the server keeps only the latest snapshot per client), the others see every point
/// applied, and a stop with streams still open drains at once and ends their streams.
/// </summary>
public sealed class SnapshotStreamClientsTests
{
    private const int Dimensions = 32;
    private const int PointsPerBody = 1_000;

    /// <summary>
    /// Far more snapshot bytes than any loopback socket buffers (~80 KB a snapshot, a snapshot every 64
    /// points; the loop ends as soon as the drop is logged, after a few bodies on a quiet machine): a bound
    /// on a run where the non-reader is never dropped, so that the test fails rather than hangs. 400 bodies
    /// once ran out on a busy machine before the drop came.
    /// </summary>
    private const int MaxBodies = 4_000;

    [Fact]
    public async Task ModelStream_OneClientNeverReadsAndOneLeaves_OthersSeeEveryPointAndTheStopIsClean()
    {
        await using WorkerServer server = await WorkerServer.StartAsync(
            "--clusters", "128", "--dimensions", $"{Dimensions}", "--batch-size", "64", "--snapshot-out", "final.json",
            "--StreamingClusters:Seeding:BufferSize=256", "--StreamingClusters:Http:SnapshotStreamWriteTimeout=00:00:01");
        Task<string> dropped = server.OutputLineAsync("GET /model/stream: a client took no snapshot within");

        using Socket nonReader = await ConnectNonReaderAsync(server.Client.BaseAddress!);
        Reader[] readers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Reader.StartAsync(server.Client)));
        Task leaver = LeaveAfterFirstEventAsync(server.Client);

        byte[] body = LoadCsv.Body(PointsPerBody, Dimensions, seed: 5);
        long accepted = 0;
        for (int i = 0; i < MaxBodies && !dropped.IsCompleted; i++)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using HttpResponseMessage response = await server.Client.PostAsync(new Uri("/points", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            accepted += PointsPerBody;
            if (i == 0)
            {
                await leaver;
            }
        }

        await dropped;
        await Task.WhenAll(readers.Select(r => r.AppliedAsync(accepted)));

        Assert.Equal(0, await server.StopAsync());
        // Every reader's stream ended with the stop (instead of holding it up).
        await Task.WhenAll(readers.Select(r => r.Ended));
        using JsonDocument final = JsonDocument.Parse(await File.ReadAllBytesAsync(server.PathOf("final.json")));
        Assert.Equal(accepted, final.RootElement.GetProperty("pointsApplied").GetInt64());
        Assert.Equal(0, final.RootElement.GetProperty("pointsInFlight").GetInt64());
    }

    /// <summary>Asks for the stream on a socket with a small receive buffer and never reads it.</summary>
    private static async Task<Socket> ConnectNonReaderAsync(Uri address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(IPAddress.Loopback, address.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /model/stream HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n"));
        return socket;
    }

    private static async Task LeaveAfterFirstEventAsync(HttpClient client)
    {
        using HttpResponseMessage stream = await client.GetAsync(new Uri("/model/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        while (await events.ReadLineAsync() is { } line && !line.StartsWith("data: ", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>A client that reads every event it is sent and remembers the latest points-applied total.</summary>
    private sealed class Reader
    {
        private readonly Lock _gate = new();
        private readonly List<(long Target, TaskCompletionSource Reached)> _waiters = [];
        private long _applied = -1;

        public Task Ended { get; private set; } = Task.CompletedTask;

        public static async Task<Reader> StartAsync(HttpClient client)
        {
            var reader = new Reader();
            HttpResponseMessage response = await client.GetAsync(new Uri("/model/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            reader.Ended = reader.ReadAsync(response);
            return reader;
        }

        public Task AppliedAsync(long target)
        {
            lock (_gate)
            {
                if (_applied >= target)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((target, reached));
                return reached.Task;
            }
        }

        private async Task ReadAsync(HttpResponseMessage response)
        {
            using (response)
            {
                using var events = new StreamReader(await response.Content.ReadAsStreamAsync());
                // Snapshots are the default (message) events; named ones (event: cluster) are skipped.
                bool named = false;
                while (await events.ReadLineAsync() is { } line)
                {
                    if (line.Length == 0)
                    {
                        named = false;
                    }
                    else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        named = true;
                    }
                    else if (!named && line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        Seen(PointsApplied(line));
                    }
                }
            }
        }

        private void Seen(long applied)
        {
            lock (_gate)
            {
                _applied = applied;
                foreach (var waiter in _waiters.Where(w => applied >= w.Target).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        /// <summary>Reads one field, not the whole ~80 KB event.</summary>
        private static long PointsApplied(string line)
        {
            const string Field = "\"pointsApplied\":";
            int start = line.IndexOf(Field, StringComparison.Ordinal) + Field.Length;
            int end = line.IndexOf(',', start);
            return long.Parse(line.AsSpan(start, end - start), CultureInfo.InvariantCulture);
        }
    }
}
