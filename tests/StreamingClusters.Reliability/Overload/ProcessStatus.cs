using System.Globalization;

namespace StreamingClusters.Reliability.Overload;

/// <summary>Reads /proc/&lt;pid&gt;/status: VmRSS (working set), VmHWM (its peak), Threads.</summary>
internal static class ProcessStatus
{
    /// <summary>Reads one field: KiB for the Vm* fields, a count for Threads; -1 once the process has gone.</summary>
    public static long Read(int processId, string field)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    string value = line[(field.Length + 1)..].Trim();
                    int space = value.IndexOf(' ', StringComparison.Ordinal);
                    return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process has exited.
        }

        return -1;
    }

    /// <summary>Formats KiB as MiB.</summary>
    public static string MiB(long kib) => (kib / 1024.0).ToString("F0", CultureInfo.InvariantCulture);
}
