using StreamingClusters.Models;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Every model's state for GET /healthz, kept cheap since the probe is polled: a catalog of this
/// process answers from memory; one whose models live elsewhere (<see cref="IModelNames"/>, cluster mode)
/// is asked for the names once and then each model on its own, all at once, each call bounded, so that a
/// slow model is reported as such instead of holding up, or failing, the whole answer.
/// </summary>
internal static class ModelsHealth
{
    /// <summary>How long the probe waits for the names, and then for each model.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>Reads every model's state.</summary>
    /// <param name="catalog">The models.</param>
    /// <param name="timeout">How long to wait for the names, and then for each model.</param>
    /// <param name="time">The clock of the bounds.</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <returns>Each model's state, ordered by name.</returns>
    public static async Task<IReadOnlyList<ModelHealth>> ReadAsync(IModelCatalog catalog, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (catalog is not IModelNames named)
        {
            return [.. (await catalog.ListAsync(cancellationToken)).Select(ModelHealth.Of)];
        }

        IReadOnlyList<string> names;
        using (var bound = new CancellationTokenSource(timeout, time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token))
        {
            try
            {
                names = await named.NamesAsync(linked.Token);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Unanswered(ex))
            {
                // Without the list, the model default (which always exists) is still asked.
                names = [ModelName.Default];
            }
        }

        // A name whose model is gone by the time it is asked is left out, as the catalog would leave it out now.
        return [.. (await Task.WhenAll(names.Select(name => ReadAsync(catalog, name, timeout, time, cancellationToken)))).OfType<ModelHealth>()];
    }

    private static async Task<ModelHealth?> ReadAsync(IModelCatalog catalog, string name, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var bound = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        try
        {
            return await catalog.FindAsync(name, linked.Token) is { } model
                ? ModelHealth.Of(await model.DescribeAsync(linked.Token))
                : null;
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new ModelHealth(name, "unanswered", Error: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer within {timeout.TotalSeconds:0.###}s"));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Unanswered(ex))
        {
            return new ModelHealth(name, "unanswered", Error: ex.Message);
        }
    }

    /// <summary>A call that failed (the model's silo died, the call timed out), not a fault of the probe's own.</summary>
    private static bool Unanswered(Exception ex) => ex is not (OutOfMemoryException or NullReferenceException or ArgumentException);
}
