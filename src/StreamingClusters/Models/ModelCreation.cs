namespace StreamingClusters.Models;

/// <summary>What <see cref="IModelCatalog.CreateAsync"/> did.</summary>
public enum ModelCreationOutcome
{
    /// <summary>The model was created.</summary>
    Created,

    /// <summary>A model of that name already exists with the same settings; nothing changed.</summary>
    Exists,

    /// <summary>A model of that name exists with other settings; nothing changed.</summary>
    Conflict,

    /// <summary>The name or the settings were refused; <see cref="ModelCreation.Problems"/> says why, naming each setting.</summary>
    Refused,
}

/// <summary>The answer of <see cref="IModelCatalog.CreateAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Model">The model of that name when it exists (created, already there, or in conflict); null when refused.</param>
/// <param name="Problems">Why the name or settings were refused, or why they conflict; empty otherwise.</param>
public sealed record ModelCreation(ModelCreationOutcome Outcome, ModelInfo? Model, IReadOnlyList<string> Problems);
