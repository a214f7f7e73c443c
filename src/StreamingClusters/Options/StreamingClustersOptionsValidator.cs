using Microsoft.Extensions.Options;

namespace StreamingClusters.Options;

/// <summary>Validates <see cref="StreamingClustersOptions"/> (source-generated from its annotations).</summary>
[OptionsValidator]
public sealed partial class StreamingClustersOptionsValidator : IValidateOptions<StreamingClustersOptions>
{
}
