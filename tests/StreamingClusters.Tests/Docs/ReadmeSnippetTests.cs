using System.Diagnostics;

namespace StreamingClusters.Tests.Docs;

/// <summary>
/// The README's library program is <c>samples/QuickStart/Program.cs</c>, which the solution builds:
/// so the snippet a reader copies compiles, and runs to completion.
/// </summary>
public sealed class ReadmeSnippetTests
{
    /// <summary>The README heading under which the library program's <c>csharp</c> block stands.</summary>
    private const string LibraryHeading = "### In your own program";

    /// <summary>A bound on a run that hangs, so that a broken sample fails instead of stalling CI; nothing here measures time.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    [Fact]
    public void LibraryQuickStart_ReadmeSnippet_IsTheQuickStartSample()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "README.md"));
        string sample = File.ReadAllText(Path.Combine(RepositoryRoot, "samples", "QuickStart", "Program.cs"));

        string snippet = CsharpBlockUnder(readme, LibraryHeading);

        Assert.Equal(Normalise(sample), Normalise(snippet));
    }

    [Fact]
    public async Task QuickStartSample_Run_ExitsZeroAndPrintsThreeCentroids()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "QuickStart.dll");
        string workingDirectory = Directory.CreateTempSubdirectory("quickstart-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(dll);
            using var process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            using var hang = new CancellationTokenSource(Hang);
            await process.WaitForExitAsync(hang.Token);

            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; standard error: {await error}");
            string[] centroids = (await output).Split('\n').Where(line => line.StartsWith("centroid (", StringComparison.Ordinal)).ToArray();
            Assert.Equal(3, centroids.Length);
        }
        finally
        {
            Directory.Delete(workingDirectory, recursive: true);
        }
    }

    private static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StreamingClusters.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("The repository root was not found above the test's directory.");
        }
    }

    /// <summary>The first <c>```csharp</c> block after <paramref name="heading"/> and before the next heading.</summary>
    private static string CsharpBlockUnder(string markdown, string heading)
    {
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        int at = Array.FindIndex(lines, line => line.TrimEnd() == heading);
        Assert.True(at >= 0, $"The README has no heading '{heading}'.");

        int open = -1;
        for (int i = at + 1; i < lines.Length && !lines[i].StartsWith('#'); i++)
        {
            if (lines[i].TrimEnd() == "```csharp")
            {
                open = i;
                break;
            }
        }

        Assert.True(open >= 0, $"The README has no ```csharp block under '{heading}'.");
        int close = Array.FindIndex(lines, open + 1, line => line.TrimEnd() == "```");
        Assert.True(close > open, $"The ```csharp block under '{heading}' is not closed.");
        return string.Join('\n', lines[(open + 1)..close]);
    }

    private static string Normalise(string text) => text.ReplaceLineEndings("\n").Trim('\n');
}
