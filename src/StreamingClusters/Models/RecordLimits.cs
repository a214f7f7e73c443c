namespace StreamingClusters.Models;

/// <summary>What a record posted to a model must be, as <see cref="IModelHandle.LimitsAsync"/> gives it.</summary>
/// <param name="Dimensions">d: configured, or learnt from the first valid point; 0 until then.</param>
/// <param name="MaxRecordLength">The longest record, in characters, the model parses (<c>MaxRecordLength</c>).</param>
/// <param name="MaxAbsoluteValue">The largest absolute coordinate the model accepts (<c>MaxAbsoluteValue</c>).</param>
public readonly record struct RecordLimits(int Dimensions, int MaxRecordLength, double MaxAbsoluteValue);
