using StreamingClusters.Models;

namespace StreamingClusters.Worker.Http;

/// <summary>
/// Every model's state for GET /healthz, kept cheap since the probe is polled: a catalog of this
/// process answers from memory; one whose models live elsewhere (<see cref="IModelNames"/>, cluster mode)
/// is asked for the names once and then each model on its own, at most <see cref="Concurrency"/> at a
/// time, all of them within one bound, so that a slow model is reported as such instead of holding up,
/// or failing, the whole answer.
/// </summary>
internal static class ModelsHealth
{
    /// <summary>How long the probe waits for the names, and then for the models.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>The most models asked at once: a cluster of many models is not asked all at once by every probe.</summary>
    public const int Concurrency = 8;

    /// <summary>Reads every model's state.</summary>
    /// <param name="catalog">The models.</param>
    /// <param name="timeout">How long to wait for the names, and then for the models.</param>
    /// <param name="time">The clock of the bounds.</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <returns>Each model's state, ordered by name.</returns>
    public static async Task<IReadOnlyList<ModelHealth>> ReadAsync(IModelCatalog catalog, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        (await ReadRoundAsync(catalog, timeout, time, cancellationToken)).Models;

    /// <summary>Reads every model's state, and whether the catalog's names came.</summary>
    /// <param name="catalog">The models.</param>
    /// <param name="timeout">How long to wait for the names, and then for the models.</param>
    /// <param name="time">The clock of the bounds.</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <returns>Each model's state, ordered by name.</returns>
    public static async Task<ModelsReading> ReadRoundAsync(IModelCatalog catalog, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (catalog is not IModelNames named)
        {
            IReadOnlyList<ModelInfo> listed = await catalog.ListAsync(cancellationToken);
            return new ModelsReading([.. listed.Select(ModelHealth.Of)], NamesAnswered: true, listed);
        }

        IReadOnlyList<string> names;
        bool answered = true;
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
                answered = false;
            }
        }

        // One bound for them all: a model still waiting for its turn when it passes is reported unanswered.
        using var modelsBound = new CancellationTokenSource(timeout, time);
        using var modelsLinked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, modelsBound.Token);
        using var turns = new SemaphoreSlim(Concurrency);
        (ModelHealth Health, ModelInfo? Info)?[] models = await Task.WhenAll(names.Select(name => ReadAsync(catalog, name, turns, timeout, modelsBound, modelsLinked.Token, cancellationToken)));

        // A model that is gone by the time it is asked is left out, as the catalog would leave it out now.
        return new ModelsReading(
            [.. models.OfType<(ModelHealth Health, ModelInfo? Info)>().Select(m => m.Health)],
            answered,
            [.. models.Select(m => m?.Info).OfType<ModelInfo>()]);
    }

    private static async Task<(ModelHealth Health, ModelInfo? Info)?> ReadAsync(
        IModelCatalog catalog, string name, SemaphoreSlim turns, TimeSpan timeout, CancellationTokenSource bound, CancellationToken linked, CancellationToken cancellationToken)
    {
        try
        {
            await turns.WaitAsync(linked);
            try
            {
                if (await catalog.FindAsync(name, linked) is not { } model)
                {
                    return null;
                }

                ModelInfo info = await model.DescribeAsync(linked);
                return (ModelHealth.Of(info), info);
            }
            finally
            {
                turns.Release();
            }
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (new ModelHealth(name, "unanswered", Error: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no answer within {timeout.TotalSeconds:0.###}s")), null);
        }
        catch (KeyNotFoundException)
        {
            // Deleted between the names and its own answer.
            return null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Unanswered(ex))
        {
            return (new ModelHealth(name, "unanswered", Error: ex.Message), null);
        }
    }

    /// <summary>A call that failed (the model's silo died, the call timed out), not a fault of the probe's own.</summary>
    private static bool Unanswered(Exception ex) => ex is not (OutOfMemoryException or NullReferenceException or ArgumentException);
}

/// <summary>The models of one reading of GET /healthz (and, in cluster mode, of the models' series of /metrics).</summary>
/// <param name="Models">Each model's state, ordered by name.</param>
/// <param name="NamesAnswered">Whether the catalog gave its names within the bound (else only the model default was asked).</param>
/// <param name="Described">What each model that answered said of itself, ordered by name: the unanswered ones are not in it.</param>
internal sealed record ModelsReading(IReadOnlyList<ModelHealth> Models, bool NamesAnswered, IReadOnlyList<ModelInfo> Described);
