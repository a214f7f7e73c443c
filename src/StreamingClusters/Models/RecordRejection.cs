namespace StreamingClusters.Models;

/// <summary>A record a caller could not read as a point, for <see cref="IModelHandle.RejectAsync"/>.</summary>
/// <param name="Record">Its number in the source, from 1 (a line number in an HTTP body).</param>
/// <param name="Reason">Why it was rejected, in words.</param>
/// <param name="Raw">The record's text.</param>
public readonly record struct RecordRejection(long Record, string Reason, string Raw);
