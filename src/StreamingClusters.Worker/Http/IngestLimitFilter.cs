using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Bounds how many POST /points and POST /score requests hold a body at once
/// (<see cref="HttpOptions.MaxConcurrentIngests"/>, one budget shared by both). A request beyond it is
/// answered 503 with Retry-After before its body is read: nothing read, nothing counted, the client
/// sends the same body again. Memory for bodies is then at most that many times
/// <see cref="HttpOptions.MaxBodyBytes"/>, however many clients connect.
/// </summary>
/// <remarks>
/// It runs after <see cref="ApiKeyFilter"/>, so that clients without the key never take a place.
/// There is no queue: a waiting request would keep its connection and socket buffers for nothing, and
/// clients already retry after a 503 of a full pipeline.
/// </remarks>
internal sealed class IngestLimitFilter : IEndpointFilter, IDisposable
{
    private readonly SemaphoreSlim _places;
    private readonly HttpOptions _options;

    public IngestLimitFilter(IOptions<HttpOptions> options)
    {
        _options = options.Value;
        _places = new SemaphoreSlim(_options.MaxConcurrentIngests, _options.MaxConcurrentIngests);
    }

    /// <inheritdoc/>
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!_places.Wait(0))
        {
            return IngestEndpoints.Unavailable(
                context.HttpContext,
                _options,
                $"{_options.MaxConcurrentIngests} request(s) are already being read ({HttpOptions.SectionName}:MaxConcurrentIngests); retry later");
        }

        try
        {
            return await next(context);
        }
        finally
        {
            _places.Release();
        }
    }

    public void Dispose() => _places.Dispose();
}

/// <summary>Adds the one <see cref="IngestLimitFilter"/> of the application to an endpoint.</summary>
internal static class IngestLimitFilterExtensions
{
    /// <summary>Adds the shared limit; AddEndpointFilter&lt;T&gt; would make a filter, and so a limit, per request.</summary>
    /// <param name="builder">The endpoint.</param>
    /// <returns>The endpoint.</returns>
    public static RouteHandlerBuilder AddIngestLimit(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilterFactory((context, next) =>
        {
            IngestLimitFilter limit = context.ApplicationServices.GetRequiredService<IngestLimitFilter>();
            return invocation => limit.InvokeAsync(invocation, next);
        });
}
