namespace StreamingClusters.Worker.Http;

/// <summary>The settings of the worker's HTTP endpoints (section <c>StreamingClusters:Http</c>).</summary>
internal sealed class HttpOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "StreamingClusters:Http";

    /// <summary>Gets or sets the key that POST /points, POST /score and GET /rejections/recent require (header X-Api-Key or Authorization: Bearer).</summary>
    /// <value>The default value is none: no key is required.</value>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether HTTP may listen beyond loopback without <see cref="ApiKey"/>.
    /// Without it, such a configuration is refused at start-up: an open port that takes points from
    /// anyone must be asked for, not fallen into.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>Gets or sets the largest request body accepted, in bytes; a larger one is answered 413.</summary>
    /// <value>The default value is 8 MiB.</value>
    public long MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Gets or sets how many POST /points and POST /score requests may be read and handled at once; one
    /// more is answered 503 with Retry-After before its body is read. Bodies then take at most this many
    /// times <see cref="MaxBodyBytes"/> (plus their parsed points), whatever the number of clients.
    /// </summary>
    /// <value>
    /// The default value is 16: a fixed bound (128 MiB of bodies at the default <see cref="MaxBodyBytes"/>)
    /// rather than one that grows with the processors, and more than the cores of the machines it runs on,
    /// so that parsing, which takes a core per body, keeps them busy.
    /// </value>
    public int MaxConcurrentIngests { get; set; } = 16;

    /// <summary>Gets or sets how long POST /points waits for room in a full pipeline before answering 503.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan IngestWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the Retry-After of a 503.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the shortest time between two events of GET /model/stream, unless ?interval= asks for another.</summary>
    /// <value>The default value is zero: every snapshot the client keeps up with.</value>
    public TimeSpan SnapshotStreamInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets how long one event of GET /model/stream may wait for a client that does not read
    /// before its connection is closed; the server keeps no more than the latest snapshot for a client.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan SnapshotStreamWriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the settings.</summary>
    /// <returns>The problems, each naming its setting.</returns>
    public IEnumerable<string> Validate()
    {
        if (MaxBodyBytes is < 1 or > int.MaxValue)
        {
            yield return $"{SectionName}:MaxBodyBytes must be between 1 and {int.MaxValue}, not {MaxBodyBytes}.";
        }

        if (MaxConcurrentIngests is < 1 or > 65536)
        {
            yield return $"{SectionName}:MaxConcurrentIngests must be between 1 and 65536, not {MaxConcurrentIngests}.";
        }

        if (IngestWait < TimeSpan.Zero || IngestWait > TimeSpan.FromMinutes(1))
        {
            yield return $"{SectionName}:IngestWait must be between 00:00:00 and 00:01:00, not {IngestWait}.";
        }

        if (RetryAfter < TimeSpan.FromSeconds(1) || RetryAfter > TimeSpan.FromHours(1))
        {
            yield return $"{SectionName}:RetryAfter must be between 00:00:01 and 01:00:00, not {RetryAfter}.";
        }

        if (SnapshotStreamInterval < TimeSpan.Zero)
        {
            yield return $"{SectionName}:SnapshotStreamInterval must not be negative, not {SnapshotStreamInterval}.";
        }

        if (SnapshotStreamWriteTimeout <= TimeSpan.Zero || SnapshotStreamWriteTimeout > TimeSpan.FromHours(1))
        {
            yield return $"{SectionName}:SnapshotStreamWriteTimeout must be more than 00:00:00 and at most 01:00:00, not {SnapshotStreamWriteTimeout}.";
        }

        if (ApiKey is { } key && (key.Length < 16 || key.Any(char.IsWhiteSpace)))
        {
            yield return $"{SectionName}:ApiKey must be at least 16 characters without blanks.";
        }
    }
}

/// <summary>Refuses bad <see cref="HttpOptions"/> at start-up, given where HTTP is configured to listen.</summary>
/// <param name="openAddresses">The configured addresses that are not loopback.</param>
internal sealed class HttpOptionsValidator(IReadOnlyList<string> openAddresses) : Microsoft.Extensions.Options.IValidateOptions<HttpOptions>
{
    /// <inheritdoc/>
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        string[] failures = [.. options.Validate()];
        if (openAddresses.Count > 0 && string.IsNullOrEmpty(options.ApiKey) && !options.AllowAnonymous)
        {
            failures =
            [
                .. failures,
                $"{HttpOptions.SectionName}:ApiKey is required when HTTP listens beyond loopback ({string.Join(", ", openAddresses)}): set a key, bind to 127.0.0.1, or set {HttpOptions.SectionName}:AllowAnonymous to true to take points from anyone who can reach the port.",
            ];
        }

        return failures.Length == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
