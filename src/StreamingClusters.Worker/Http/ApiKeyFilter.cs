using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Requires the configured API key, as <c>X-Api-Key</c> or <c>Authorization: Bearer</c>, compared in
/// constant time; without a configured key every request passes.
/// </summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    /// <summary>The SHA-256 of the key, or null when none is configured.</summary>
    private readonly byte[]? _keyHash;

    public ApiKeyFilter(IOptions<HttpOptions> options)
    {
        _keyHash = options.Value.ApiKey is { Length: > 0 } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;
    }

    /// <inheritdoc/>
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (_keyHash is null || Matches(context.HttpContext.Request))
        {
            return await next(context);
        }

        context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Json(new ErrorResponse("a valid API key is required (X-Api-Key or Authorization: Bearer)"), HttpJson.Context.ErrorResponse, statusCode: StatusCodes.Status401Unauthorized);
    }

    private bool Matches(HttpRequest request)
    {
        string? given = request.Headers["X-Api-Key"].FirstOrDefault();
        if (given is null && request.Headers.Authorization.FirstOrDefault() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            given = authorization[7..].Trim();
        }

        // Digests of equal length compared in constant time: the time taken tells neither how much of
        // the key matched nor how long it is.
        return given is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _keyHash);
    }
}
