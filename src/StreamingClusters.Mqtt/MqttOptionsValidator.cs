using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StreamingClusters.Options;

namespace StreamingClusters.Mqtt;

/// <summary>Checks the MQTT settings (every <c>Kind</c> <c>Mqtt</c> source, and publishing) at start-up, each message naming the setting.</summary>
internal sealed class MqttOptionsValidator(IConfiguration section) : IValidateOptions<StreamingClustersOptions>
{
    public ValidateOptionsResult Validate(string? name, StreamingClustersOptions options)
    {
        var problems = new List<string>();
        for (int i = 0; i < options.Sources.Count; i++)
        {
            if (options.Sources[i].Kind == SourceKind.Mqtt)
            {
                MqttSourceOptions settings = MqttSourceProvider.Settings(section, i);
                problems.AddRange(settings.Problems(i));
                if (options.Seeding.IdleTimeout <= TimeSpan.Zero && settings.MaxUnacknowledged < options.Seeding.BufferSize)
                {
                    // Nothing is acknowledged before the model is seeded: the broker would stop sending first.
                    problems.Add(
                        $"StreamingClusters:Sources:{i}:MaxUnacknowledged ({settings.MaxUnacknowledged}) is below StreamingClusters:Seeding:BufferSize ({options.Seeding.BufferSize}) " +
                        "with StreamingClusters:Seeding:IdleTimeout 0: the model would wait for points the broker holds back until the first are acknowledged. Raise MaxUnacknowledged or set an IdleTimeout.");
                }

                if (MqttSourceProvider.FormatOf(section, options.Sources[i], i) == RecordFormat.Csv && options.Sources[i].HasHeader == true)
                {
                    problems.Add($"StreamingClusters:Sources:{i}:HasHeader cannot be true for an MQTT source: the lines of a message are records, columns are zero-based indexes.");
                }
            }
        }

        problems.AddRange(MqttPublisher.Settings(section).Problems());
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
