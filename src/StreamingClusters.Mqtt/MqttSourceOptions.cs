using System.Globalization;

namespace StreamingClusters.Mqtt;

/// <summary>
/// The MQTT settings of a source (<c>StreamingClusters:Sources:N</c> with <c>Kind</c> <c>Mqtt</c>), beside
/// its common ones (<c>Name</c>, <c>Format</c>, <c>Columns</c>, <c>Separator</c>).
/// </summary>
public sealed class MqttSourceOptions : MqttBrokerSettings
{
    /// <summary>Gets or sets the topic filters to subscribe to, wildcards allowed (<c>sensors/#</c>, <c>plant/+/readings</c>).</summary>
    /// <value>The default value is empty (at least one is required).</value>
    public IList<string> Topics { get; set; } = [];

    /// <summary>Gets or sets how long the broker keeps the session (subscriptions and unacknowledged messages) while the service is away.</summary>
    /// <value>The default value is 1 day.</value>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Gets or sets the window: the most messages the source holds read from the broker and not yet
    /// acknowledged (they are acknowledged only once a checkpoint holds them). It is asked of the broker as
    /// MQTT 5's receive maximum at each connection, and enforced by the source itself, which stops reading
    /// its socket while it holds that many, so that TCP holds the broker back (mosquitto before 2.0.13 sends
    /// a session's queue past the receive maximum). It bounds the memory the source uses: in bytes, this
    /// many times the message size. It also bounds the rate: at most this many messages per checkpoint interval.
    /// </summary>
    /// <value>The default value is 65535, the most MQTT allows.</value>
    public int MaxUnacknowledged { get; set; } = ushort.MaxValue;

    /// <summary>Lists what is wrong with this source's MQTT settings, each message naming the setting.</summary>
    /// <param name="index">The source's position in <c>StreamingClusters:Sources</c>.</param>
    /// <returns>The problems; none when the settings are usable.</returns>
    public IEnumerable<string> Problems(int index)
    {
        string key = string.Create(CultureInfo.InvariantCulture, $"StreamingClusters:Sources:{index}");
        foreach (string problem in BrokerProblems(key))
        {
            yield return problem;
        }

        if (Topics.Count == 0)
        {
            yield return $"{key}:Topics needs at least one topic filter (such as sensors/#).";
        }

        for (int t = 0; t < Topics.Count; t++)
        {
            if (!IsTopicFilter(Topics[t]))
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{key}:Topics:{t} '{Topics[t]}' is not a topic filter: # only as the last level, + only as a whole level.");
            }
        }

        if (SessionExpiry < TimeSpan.FromSeconds(1) || SessionExpiry.TotalSeconds > uint.MaxValue - 1)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:SessionExpiry must be at least 1s (got {SessionExpiry}): the broker keeps unacknowledged readings only while the session lives.");
        }

        if (MaxUnacknowledged is < 1 or > ushort.MaxValue)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{key}:MaxUnacknowledged must be between 1 and 65535 (got {MaxUnacknowledged}).");
        }
    }

    /// <summary>Checks a topic filter: not empty, <c>#</c> only as the whole last level, <c>+</c> only as a whole level.</summary>
    /// <param name="filter">The filter.</param>
    /// <returns>Whether it is a valid filter.</returns>
    internal static bool IsTopicFilter(string? filter)
    {
        if (string.IsNullOrEmpty(filter) || filter.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        string[] levels = filter.Split('/');
        for (int i = 0; i < levels.Length; i++)
        {
            string level = levels[i];
            if ((level.Contains('#', StringComparison.Ordinal) && (level != "#" || i != levels.Length - 1)) || (level.Contains('+', StringComparison.Ordinal) && level != "+"))
            {
                return false;
            }
        }

        return true;
    }
}
