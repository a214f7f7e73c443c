using System.Collections.Concurrent;
using Orleans.Runtime;

namespace StreamingClusters.Cluster.Tests;

/// <summary>A grain-call filter of the tests' silos: counts the calls each grain takes, by grain key and method.</summary>
public sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(string Key, string Method), int> s_calls = new();

    /// <summary>Gets the calls the grain of <paramref name="key"/> has taken since <see cref="Reset"/>, by method, in method order.</summary>
    /// <param name="key">The grain's key (a model grain's is the model's name).</param>
    /// <returns>Each method called and how many times.</returns>
    public static IReadOnlyList<(string Method, int Calls)> Calls(string key) =>
        [.. s_calls.Where(c => c.Key.Key == key).Select(c => (c.Key.Method, c.Value)).OrderBy(c => c.Method, StringComparer.Ordinal)];

    /// <summary>Forgets the calls the grain of <paramref name="key"/> has taken.</summary>
    /// <param name="key">The grain's key.</param>
    public static void Reset(string key)
    {
        foreach ((string Key, string Method) call in s_calls.Keys.Where(c => c.Key == key))
        {
            s_calls.TryRemove(call, out _);
        }
    }

    /// <inheritdoc/>
    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        s_calls.AddOrUpdate((context.TargetId.Key.ToString(), context.MethodName), 1, static (_, n) => n + 1);
        return context.Invoke();
    }
}
