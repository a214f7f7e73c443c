using Microsoft.AspNetCore.Http;
using StreamingClusters.Models;

namespace StreamingClusters.Worker.Http;

/// <summary>Finds the model a route names: 400 for a name no model can have, 404 for a name no model has.</summary>
internal static class ModelRoute
{
    /// <summary>Finds a model.</summary>
    /// <param name="catalog">The models.</param>
    /// <param name="name">The name in the route.</param>
    /// <param name="cancellationToken">Cancels the look-up.</param>
    /// <returns>The model, or the answer that refuses the request.</returns>
    public static async Task<(IModelHandle? Model, IResult? Refusal)> FindAsync(IModelCatalog catalog, string name, CancellationToken cancellationToken)
    {
        if (ModelName.Problem(name) is { } problem)
        {
            return (null, IngestEndpoints.Error(StatusCodes.Status400BadRequest, problem));
        }

        return await catalog.FindAsync(name, cancellationToken) is { } model
            ? (model, null)
            : (null, NotFound(name));
    }

    /// <summary>The answer for a name no model has.</summary>
    /// <param name="name">The name.</param>
    /// <returns>404 saying how to list and create models.</returns>
    public static IResult NotFound(string name) =>
        IngestEndpoints.Error(StatusCodes.Status404NotFound, $"there is no model named '{name}'; GET /models lists them, PUT /models/{name} with its settings creates it");
}
