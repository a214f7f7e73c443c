using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Worker.Tests.Http;

/// <summary>Requests and answers shared by the HTTP tests.</summary>
internal static class HttpRequests
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string body, string contentType = "text/csv")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        return await client.SendAsync(request);
    }

    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response) =>
        await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());

    public static async Task<HttpResponseMessage> PutJsonAsync(HttpClient client, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        return await client.SendAsync(request);
    }

    /// <summary>Opens GET /model/stream, or another stream at <paramref name="path"/> (with a query and a Last-Event-ID if given), and returns its reader.</summary>
    public static async Task<EventReader> OpenStreamAsync(HttpClient client, string query = "", string? lastEventId = null, string path = "/model/stream")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path + query, UriKind.Relative));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new EventReader(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>One server-sent event: its fields as sent.</summary>
    internal sealed record ServerEvent(string? Id, string? Retry, string? Data)
    {
        /// <summary>Gets the event's name, or null for the default (message) events: the snapshots.</summary>
        public string? Event { get; init; }

        public long Version => long.Parse(Id!, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a stream of server-sent events, field block by field block.</summary>
    internal sealed class EventReader(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public HttpResponseMessage Response { get; } = response;

        /// <summary>Reads the next block of fields (up to a blank line), whether or not it carries data.</summary>
        public async Task<ServerEvent> NextBlockAsync()
        {
            string? id = null, retry = null, data = null, name = null;
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (line.Length == 0)
                {
                    return new ServerEvent(id, retry, data) { Event = name };
                }

                int colon = line.IndexOf(':', StringComparison.Ordinal);
                string value = line[(colon + 1)..].TrimStart(' ');
                switch (line[..colon])
                {
                    case "id": id = value; break;
                    case "retry": retry = value; break;
                    case "data": data = value; break;
                    case "event": name = value; break;
                }
            }

            throw new InvalidOperationException("The event stream ended.");
        }

        /// <summary>Reads up to the next default (message) event that carries data: a snapshot.</summary>
        public Task<ServerEvent> NextEventAsync() => NextEventAsync(name: null);

        /// <summary>Reads up to the next event of the name given (null: the default, message) that carries data.</summary>
        public async Task<ServerEvent> NextEventAsync(string? name)
        {
            while (true)
            {
                ServerEvent e = await NextBlockAsync();
                if (e.Data is not null && e.Event == name)
                {
                    return e;
                }
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            Response.Dispose();
        }
    }
}
