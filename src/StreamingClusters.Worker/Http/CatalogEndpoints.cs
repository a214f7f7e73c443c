using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using StreamingClusters.Models;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// GET /models lists the models (the <c>default</c> one among them); PUT /models/{name} creates one from a
/// JSON object of settings (the keys of the <c>StreamingClusters</c> section that a model has of its own),
/// layered over the top-level settings and validated as at start-up: 201 Created, 200 when it exists with
/// the same settings, 409 when it exists with others, 400 naming the setting refused. DELETE /models/{name}
/// deletes one (its state and points with it): 204, 404 for a name no model has, 409 for <c>default</c>
/// and for a model declared in configuration (it would be made again at the next start).
/// </summary>
internal static class CatalogEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/models", ListAsync);
        app.MapPut("/models/{name}", PutAsync).AddEndpointFilter<ApiKeyFilter>();
        app.MapDelete("/models/{name}", DeleteAsync).AddEndpointFilter<ApiKeyFilter>();
    }

    private static async Task<IResult> ListAsync(IModelCatalog catalog, CancellationToken cancellationToken)
    {
        IReadOnlyList<ModelInfo> models = await catalog.ListAsync(cancellationToken);
        return Results.Json(new ModelsResponse([.. models.Select(ModelSummary.Of)]), HttpJson.Context.ModelsResponse);
    }

    private static async Task<IResult> PutAsync(HttpContext context, IModelCatalog catalog, string name, IOptions<HttpOptions> http, CancellationToken cancellationToken)
    {
        HttpOptions options = http.Value;
        if (ModelName.Problem(name) is { } problem)
        {
            return IngestEndpoints.Error(StatusCodes.Status400BadRequest, problem);
        }

        if (await RecordBody.ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken) is not { } bytes)
        {
            return IngestEndpoints.Error(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {HttpOptions.SectionName}:MaxBodyBytes ({options.MaxBodyBytes})");
        }

        ModelOverrides settings;
        try
        {
            // No body at all: the model has the top-level settings.
            settings = bytes.Length == 0 ? ModelOverrides.Empty : ModelOverrides.FromJson(bytes);
        }
        catch (FormatException ex)
        {
            return IngestEndpoints.Error(StatusCodes.Status400BadRequest, ex.Message);
        }

        ModelCreation creation;
        try
        {
            creation = await catalog.CreateAsync(name, settings, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            return IngestEndpoints.Unavailable(context, options, ex.Message);
        }

        return creation.Outcome switch
        {
            ModelCreationOutcome.Created => new CreatedAt(
                $"/models/{name}",
                Results.Json(ModelSummary.Of(creation.Model!), HttpJson.Context.ModelSummary, statusCode: StatusCodes.Status201Created)),
            ModelCreationOutcome.Exists => Results.Json(ModelSummary.Of(creation.Model!), HttpJson.Context.ModelSummary),
            ModelCreationOutcome.Conflict => IngestEndpoints.Error(StatusCodes.Status409Conflict, string.Join("; ", creation.Problems)),
            _ => IngestEndpoints.Error(StatusCodes.Status400BadRequest, string.Join("; ", creation.Problems.Select(RefusedSetting.Describe))),
        };
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, IModelCatalog catalog, string name, IOptions<HttpOptions> http, CancellationToken cancellationToken)
    {
        if (ModelName.Problem(name) is { } problem)
        {
            return IngestEndpoints.Error(StatusCodes.Status400BadRequest, problem);
        }

        ModelDeletion deletion;
        try
        {
            deletion = await catalog.DeleteAsync(name, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            return IngestEndpoints.Unavailable(context, http.Value, ex.Message);
        }

        return deletion.Outcome switch
        {
            ModelDeletionOutcome.Deleted => Results.NoContent(),
            ModelDeletionOutcome.NotFound => IngestEndpoints.Error(StatusCodes.Status404NotFound, $"there is no model named '{name}'; GET /models lists them"),
            _ => IngestEndpoints.Error(StatusCodes.Status409Conflict, deletion.Problem!),
        };
    }

    /// <summary>An answer with a Location header.</summary>
    private sealed class CreatedAt(string location, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
