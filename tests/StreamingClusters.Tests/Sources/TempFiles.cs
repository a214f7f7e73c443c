using System.Text;

namespace StreamingClusters.Tests.Sources;

/// <summary>Temporary files under <see cref="Path.GetTempPath"/>, deleted on dispose.</summary>
internal sealed class TempFiles : IDisposable
{
    private readonly List<string> _paths = [];

    public string Create(string content) => Create(Encoding.UTF8.GetBytes(content));

    public string Create(byte[] content)
    {
        string path = NewPath(".txt");
        File.WriteAllBytes(path, content);
        return path;
    }

    public string NewPath(string extension)
    {
        string path = Path.Combine(Path.GetTempPath(), $"streamingclusters-{Guid.NewGuid():N}{extension}");
        _paths.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (string path in _paths)
        {
            File.Delete(path);
        }
    }
}
