using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using StreamingClusters.Checkpoints;

namespace StreamingClusters.Worker.Http;

/// <summary>One rejected record of a request body.</summary>
/// <param name="Line">Its line number in the body, from 1.</param>
/// <param name="Reason">Why it was rejected.</param>
internal sealed record RecordError(long Line, string Reason);

/// <summary>The answer of POST /points.</summary>
/// <param name="Accepted">Points that entered the pipeline.</param>
/// <param name="Rejected">Records rejected and dead-lettered.</param>
/// <param name="Errors">The first rejections.</param>
/// <param name="Header">The line read as a CSV header (neither accepted nor rejected), or null.</param>
internal sealed record IngestResponse(int Accepted, int Rejected, IReadOnlyList<RecordError> Errors, long? Header)
{
    /// <summary>Gets what went wrong when no record was accepted (the answer is then 422), or null.</summary>
    [JsonPropertyOrder(-1)]
    public string? Error { get; init; }
}

/// <summary>One scored point: for k-means its squared distance, for a Gaussian mixture its responsibility and log-likelihood.</summary>
/// <param name="Cluster">The nearest cluster (k-means), or the most likely component (a mixture).</param>
/// <param name="SquaredDistance">The squared distance to its centroid, in the space the model assigns in (standardised columns when Scaling is standardize); null for a mixture.</param>
/// <param name="Responsibility">The posterior p(t = cluster | x) of a mixture; null for k-means.</param>
/// <param name="LogLikelihood">The point's log-likelihood log p(x) under a mixture, in nats (−log p(x) is an anomaly score); null for k-means.</param>
internal sealed record ScoreResult(int Cluster, float? SquaredDistance, float? Responsibility = null, float? LogLikelihood = null);

/// <summary>The answer of POST /score.</summary>
/// <param name="Version">The model version used.</param>
/// <param name="Results">One result per point, in body order.</param>
internal sealed record ScoreResponse(long Version, IReadOnlyList<ScoreResult> Results);

/// <summary>The answer of GET /healthz.</summary>
/// <param name="Status">starting, ready, or degraded (checkpoint writes failing, or an MQTT client away from its broker), of the model default; in cluster mode unavailable when its grain did not answer in time.</param>
/// <param name="Version">The model default's version, or −1 before seeding (or when unavailable).</param>
/// <param name="Checkpoint">How checkpoint writes are going, when checkpoints are on.</param>
/// <param name="Seeding">The seeding buffer's progress while the model waits to seed.</param>
/// <param name="Mqtt">Each MQTT client (sources and publisher) and its broker, when there are any.</param>
/// <param name="Models">Every model of the catalog, default among them.</param>
internal sealed record HealthResponse(
    string Status,
    long Version,
    CheckpointStatus? Checkpoint = null,
    SeedingProgress? Seeding = null,
    IReadOnlyList<MqttHealth>? Mqtt = null,
    IReadOnlyList<ModelHealth>? Models = null);

/// <summary>One model in GET /healthz.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Status">ready (seeded), starting (not seeded yet), or unanswered (it did not answer within the probe's bound; <paramref name="Error"/> says why).</param>
/// <param name="Version">Its version, −1 before seeding; absent when unanswered.</param>
/// <param name="PointsApplied">Points applied to it; absent when unanswered.</param>
/// <param name="Error">Why it did not answer.</param>
internal sealed record ModelHealth(string Name, string Status, long? Version = null, long? PointsApplied = null, string? Error = null)
{
    public static ModelHealth Of(StreamingClusters.Models.ModelInfo info) =>
        new(info.Name, info.Version < 0 ? "starting" : "ready", info.Version, info.PointsApplied);
}

/// <summary>One MQTT client in GET /healthz.</summary>
/// <param name="Name">The source's name, or publisher.</param>
/// <param name="Broker">The broker.</param>
/// <param name="Connected">Whether it is connected now.</param>
/// <param name="LastError">Why it is not, while it is not.</param>
/// <param name="Reconnects">Connections after the first.</param>
/// <param name="Messages">Messages received.</param>
/// <param name="Redelivered">Messages the broker sent again (DUP flag): they may have been applied before.</param>
/// <param name="RedeliveredRecords">The records in those: at most this many records applied are duplicates.</param>
/// <param name="Acknowledged">Messages acknowledged to the broker (applied, and held by a checkpoint when checkpoints are on).</param>
/// <param name="Window">The most messages a source holds received and not yet acknowledged (MaxUnacknowledged); 0 for the publisher.</param>
/// <param name="Unacknowledged">The messages it holds so now.</param>
/// <param name="ReadPauses">How often it stopped reading its socket with the window full (the broker was faster than the model).</param>
internal sealed record MqttHealth(string Name, string Broker, bool Connected, string? LastError, long Reconnects, long Messages, long Redelivered, long RedeliveredRecords, long Acknowledged, int Window, long Unacknowledged, long ReadPauses)
{
    public static MqttHealth Of(StreamingClusters.Mqtt.MqttConnectionStatus c) =>
        new(c.Name, c.Broker, c.Connected, c.LastError, c.Reconnects, c.Messages, c.Redelivered, c.RedeliveredRecords, c.Acknowledged, c.Window, c.Unacknowledged, c.ReadPauses);
}

/// <summary>An error answer.</summary>
/// <param name="Error">What went wrong.</param>
/// <param name="Errors">The records at fault, if any.</param>
internal sealed record ErrorResponse(string Error, IReadOnlyList<RecordError>? Errors = null);

/// <summary>The answer of GET /rejections/recent.</summary>
/// <param name="Kept">How many rejections the worker keeps at most.</param>
/// <param name="Recent">The last rejections, newest first.</param>
internal sealed record RecentRejectionsResponse(int Kept, IReadOnlyList<RecentRejection> Recent);

/// <summary>One model in GET /models and the answer of PUT /models/{name}.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Clusters">k.</param>
/// <param name="Dimensions">d: configured, or learnt from the first valid point; 0 until then.</param>
/// <param name="Model">KMeans or GaussianMixture.</param>
/// <param name="Version">The latest snapshot's version, or −1 before seeding.</param>
/// <param name="PointsApplied">Points applied to it, every source together.</param>
/// <param name="PointsRejected">Records rejected and dead-lettered, every source together.</param>
internal sealed record ModelSummary(string Name, int Clusters, int Dimensions, string Model, long Version, long PointsApplied, long PointsRejected)
{
    public static ModelSummary Of(StreamingClusters.Models.ModelInfo m) =>
        new(m.Name, m.Clusters, m.Dimensions, m.Model, m.Version, m.PointsApplied, m.PointsRejected);
}

/// <summary>The answer of GET /models.</summary>
/// <param name="Models">The models, by name.</param>
internal sealed record ModelsResponse(IReadOnlyList<ModelSummary> Models);

/// <summary>The JSON of the HTTP answers.</summary>
internal static class HttpJson
{
    /// <summary>
    /// Gets the source-generated JSON of the answers, escaping only what JSON requires, so that a reason
    /// quoting a value ('web-0') reads as written rather than as \u0027web-0\u0027. Safe because every
    /// answer is application/json, never embedded in a page.
    /// </summary>
    public static HttpJsonContext Context { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>The JSON of the HTTP answers, source-generated; use <see cref="HttpJson.Context"/>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(RecentRejectionsResponse))]
[JsonSerializable(typeof(ModelSummary))]
[JsonSerializable(typeof(ModelsResponse))]
internal sealed partial class HttpJsonContext : JsonSerializerContext
{
}
