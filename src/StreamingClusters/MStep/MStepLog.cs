using Microsoft.Extensions.Logging;

namespace StreamingClusters.MStep;

internal static partial class MStepLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Seeded {Clusters} centroids by k-means++ on the first {Points} points")]
    public static partial void Seeded(ILogger logger, int clusters, int points);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Waiting for the first {BufferSize} points to seed on (Seeding:BufferSize), or for a pause of {PauseSeconds:0.###}s in the input (Seeding:IdleTimeout)")]
    public static partial void AwaitingSeeding(ILogger logger, int bufferSize, double pauseSeconds);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Waiting for the first {BufferSize} points to seed on (Seeding:BufferSize), or for the end of the input")]
    public static partial void AwaitingFullSeeding(ILogger logger, int bufferSize);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "The input paused for {PauseSeconds:0.###}s with {Points} points buffered: seeding on them")]
    public static partial void SeedingOnPause(ILogger logger, double pauseSeconds, int points);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "The seeding buffer holds {Points} points, too few distinct ones for {Clusters} clusters: waiting for more")]
    public static partial void SeedingWaits(ILogger logger, int points, int clusters);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Reseeded starved cluster {Cluster} (weight {Weight:G4}) at version {Version}")]
    public static partial void Reseeded(ILogger logger, int cluster, double weight, long version);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Refused an update that would make the model non-finite; its {Points} points are rejected and dead-lettered")]
    public static partial void UpdateRefused(ILogger logger, Exception exception, int points);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "The drain was abandoned in the middle of a block: the last checkpoint is kept, and replayable sources resume from it")]
    public static partial void CheckpointKept(ILogger logger);
}
