namespace StreamingClusters.Options;

/// <summary>How columns are put in comparable units before the E-step (<see cref="StreamingClustersOptions.Scaling"/>).</summary>
public enum ScalingMode
{
    /// <summary>Columns as they come: the column of largest spread weighs most in every distance.</summary>
    None,

    /// <summary>Each column to mean 0 and standard deviation 1, with the seeding buffer's mean and spread, then fixed.</summary>
    Standardize,
}

/// <summary>The names of <see cref="ScalingMode"/> in settings and switches.</summary>
public static class ScalingModes
{
    /// <summary>Reads a scaling: <c>none</c> or <c>standardize</c>, in any case.</summary>
    /// <param name="text">The setting's value.</param>
    /// <param name="mode">The scaling, when it is one.</param>
    /// <returns>Whether <paramref name="text"/> names a scaling.</returns>
    public static bool TryParse(string? text, out ScalingMode mode)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "NONE":
                mode = ScalingMode.None;
                return true;
            case "STANDARDIZE":
                mode = ScalingMode.Standardize;
                return true;
            default:
                mode = ScalingMode.None;
                return false;
        }
    }
}
