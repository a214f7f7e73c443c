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
internal sealed record IngestResponse(int Accepted, int Rejected, IReadOnlyList<RecordError> Errors, long? Header);

/// <summary>One scored point.</summary>
/// <param name="Cluster">The nearest cluster.</param>
/// <param name="SquaredDistance">The squared distance to its centroid.</param>
internal sealed record ScoreResult(int Cluster, float SquaredDistance);

/// <summary>The answer of POST /score.</summary>
/// <param name="Version">The model version used.</param>
/// <param name="Results">One result per point, in body order.</param>
internal sealed record ScoreResponse(long Version, IReadOnlyList<ScoreResult> Results);

/// <summary>The answer of GET /healthz.</summary>
/// <param name="Status">starting, ready, or degraded (checkpoint writes failing).</param>
/// <param name="Version">The model version, or −1 before seeding.</param>
/// <param name="Checkpoint">How checkpoint writes are going, when checkpoints are on.</param>
internal sealed record HealthResponse(string Status, long Version, CheckpointStatus? Checkpoint = null);

/// <summary>An error answer.</summary>
/// <param name="Error">What went wrong.</param>
/// <param name="Errors">The records at fault, if any.</param>
internal sealed record ErrorResponse(string Error, IReadOnlyList<RecordError>? Errors = null);

/// <summary>The JSON of the HTTP answers, source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class HttpJsonContext : JsonSerializerContext
{
}
