namespace StreamingClusters.Models;

/// <summary>What <see cref="IModelCatalog.DeleteAsync"/> did.</summary>
public enum ModelDeletionOutcome
{
    /// <summary>The model was deleted: its points, state and kept settings are gone.</summary>
    Deleted,

    /// <summary>There is no model of that name (or the name is not a model name).</summary>
    NotFound,

    /// <summary>The model cannot be deleted; <see cref="ModelDeletion.Problem"/> says why (naming the setting that keeps it).</summary>
    Refused,
}

/// <summary>The answer of <see cref="IModelCatalog.DeleteAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Problem">Why the model cannot be deleted; null unless refused.</param>
public sealed record ModelDeletion(ModelDeletionOutcome Outcome, string? Problem = null)
{
    /// <summary>The answer for a model that was deleted.</summary>
    public static readonly ModelDeletion Deleted = new(ModelDeletionOutcome.Deleted);

    /// <summary>The answer for a name no model has.</summary>
    public static readonly ModelDeletion NotFound = new(ModelDeletionOutcome.NotFound);

    /// <summary>The reason the model of the top-level settings cannot be deleted.</summary>
    public static readonly ModelDeletion DefaultRefused = new(
        ModelDeletionOutcome.Refused,
        $"the model '{ModelName.Default}' is the one of the top-level StreamingClusters settings and its sources; it cannot be deleted");

    /// <summary>The refusal of a model declared in configuration, which would be made again at the next start.</summary>
    /// <param name="name">The model's name.</param>
    /// <returns>The answer, naming the setting.</returns>
    public static ModelDeletion Declared(string name) => new(
        ModelDeletionOutcome.Refused,
        $"the model '{name}' is declared in configuration (StreamingClusters:Models:{name}) and would be made again at the next start; remove it there instead");
}
