namespace StreamingClusters.Cluster.Hosting;

/// <summary>
/// Cluster mode (section <c>StreamingClusters:Cluster</c>): with <see cref="Redis"/> set the worker
/// becomes an Orleans silo, with membership and the models' state in that Redis. Without it nothing changes.
/// </summary>
public sealed class ClusterSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "StreamingClusters:Cluster";

    /// <summary>Gets or sets the Redis server, HOST:PORT (switch <c>--cluster-redis</c>); null or empty is single-process mode.</summary>
    /// <value>The default value is null.</value>
    public string? Redis { get; set; }

    /// <summary>Gets or sets the port silos talk to each other on (switch <c>--silo-port</c>).</summary>
    /// <value>The default value is 11111.</value>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Gets or sets the port Orleans clients connect to (switch <c>--gateway-port</c>).</summary>
    /// <value>The default value is 30000.</value>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Gets or sets the address this silo is reached at by the others.</summary>
    /// <value>The default value is 127.0.0.1 (every silo on one machine).</value>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Gets or sets the cluster's id: silos with the same id on one Redis form one cluster.</summary>
    /// <value>The default value is <c>streaming-clusters</c>.</value>
    public string ClusterId { get; set; } = "streaming-clusters";

    /// <summary>Gets or sets how long a silo waits for a membership probe's answer.</summary>
    /// <value>The default value is 1 second (Orleans' own is 5 s).</value>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many probes in a row a silo may miss before it is suspected.</summary>
    /// <value>The default value is 2 (Orleans' own is 3).</value>
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>Gets or sets how often a silo asks a model's grain whether its version moved (and after each of its own batches); 0 asks before every block.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan CentroidRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how long a silo goes on sending a batch the model's grain did not answer before the posts it holds fail unacknowledged.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan SendDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets a value indicating whether cluster mode is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);

    /// <summary>Lists what is wrong, each naming its setting.</summary>
    /// <returns>The problems; empty when the settings are usable.</returns>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Enabled)
        {
            return problems;
        }

        if (!TryParseEndpoint(Redis!, out _, out _))
        {
            problems.Add($"{SectionName}:Redis must be HOST:PORT with a port in 1–65535, got '{Redis}'.");
        }

        if (SiloPort is < 1 or > 65535)
        {
            problems.Add($"{SectionName}:SiloPort must be in 1–65535, got {SiloPort}.");
        }

        if (GatewayPort is < 1 or > 65535 || GatewayPort == SiloPort)
        {
            problems.Add($"{SectionName}:GatewayPort must be in 1–65535 and differ from SiloPort, got {GatewayPort}.");
        }

        if (!System.Net.IPAddress.TryParse(AdvertisedAddress, out _))
        {
            problems.Add($"{SectionName}:AdvertisedAddress must be an IP address, got '{AdvertisedAddress}'.");
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            problems.Add($"{SectionName}:ClusterId must not be empty.");
        }

        if (ProbeTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:ProbeTimeout must be positive, got {ProbeTimeout}.");
        }

        if (CentroidRefreshInterval < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:CentroidRefreshInterval must not be negative, got {CentroidRefreshInterval}.");
        }

        if (SendDeadline <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:SendDeadline must be positive, got {SendDeadline}.");
        }

        if (MissedProbesLimit < 1)
        {
            problems.Add($"{SectionName}:MissedProbesLimit must be at least 1, got {MissedProbesLimit}.");
        }

        return problems;
    }

    private static bool TryParseEndpoint(string text, out string host, out int port)
    {
        int colon = text.LastIndexOf(':');
        host = colon > 0 ? text[..colon] : string.Empty;
        port = 0;
        return colon > 0 && int.TryParse(text.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }
}
