using Microsoft.Extensions.Logging;

namespace StreamingClusters.Models;

/// <summary>
/// The service's logging for a named model's pipeline: each message begins with <c>Model 'name': </c>, so
/// that the lines of many models running side by side say whose they are. The structured state is the
/// pipeline's, unchanged.
/// </summary>
/// <param name="inner">The service's logger factory.</param>
/// <param name="model">The model's name.</param>
internal sealed class ModelLoggerFactory(ILoggerFactory inner, string model) : ILoggerFactory
{
    private readonly string _prefix = $"Model '{model}': ";

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName), _prefix);

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>The service's factory is the host's to dispose, not this view's.</summary>
    public void Dispose()
    {
    }

    private sealed class Logger(ILogger inner, string prefix) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, (s, e) => prefix + formatter(s, e));
    }
}
