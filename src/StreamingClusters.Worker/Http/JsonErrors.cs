using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Makes the answers that no endpoint writes JSON like the endpoints' own errors
/// (<c>{ "error": "…" }</c>): an unknown path (404), a wrong method (405), a request the framework
/// refuses before an endpoint runs (400), and an unexpected failure (500, without its details).
/// </summary>
internal static class JsonErrors
{
    /// <summary>Adds the middleware; call before the endpoints are mapped.</summary>
    /// <param name="app">The application.</param>
    public static void UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A failure after the answer has begun (a stream of events) cannot be answered: it is cut.
            ExceptionHandler = context => WriteAsync(context, "the request failed on the server; the log says why"),
        });
        app.UseStatusCodePages(status => WriteAsync(status.HttpContext, Describe(status.HttpContext)));
    }

    private static string Describe(HttpContext context)
    {
        HttpRequest request = context.Request;
        return context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => $"no endpoint at {request.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}; allowed: {context.Response.Headers.Allow}",
            int status => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase.ToLowerInvariant() : $"status {status}",
        };
    }

    private static Task WriteAsync(HttpContext context, string message) =>
        Results.Json(new ErrorResponse(message), HttpJson.Context.ErrorResponse, statusCode: context.Response.StatusCode).ExecuteAsync(context);
}
