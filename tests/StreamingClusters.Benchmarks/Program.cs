using System.Globalization;
using BenchmarkDotNet.Running;

namespace StreamingClusters.Benchmarks;

internal static class Program
{
    /// <summary>
    /// <c>pipeline …</c> runs the whole-run harness (<see cref="PipelineRun"/>); <c>mixture …</c> the Gaussian
    /// mixture's comparison with scikit-learn (<see cref="MixtureRun"/>); <c>seeding …</c> times the
    /// start-up seeding (<see cref="SeedingRun"/>); <c>parts</c> times one
    /// batch's steps apart (<see cref="PartsRun"/>);
    /// <c>--quick [--seconds S] [--points N] [--shapes 16x64,784x8] [--no-scalar] [--minibatch] [--no-estep]</c>
    /// runs the CPU-timed
    /// runner (used by compare-numpy.sh); anything else goes to BenchmarkDotNet's switcher
    /// (<c>--filter</c>, <c>--job</c>, …).
    /// </summary>
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "pipeline")
        {
            PipelineRun.RunAsync(args).GetAwaiter().GetResult();
            return;
        }

        if (args.Length > 0 && args[0] == "mixture")
        {
            MixtureRun.Run(args);
            return;
        }

        if (args.Length > 0 && args[0] == "repair")
        {
            RepairRun.Run(args);
            return;
        }

        if (args.Length > 0 && args[0] == "parts")
        {
            PartsRun.Run(repair: !args.Contains("--no-repair"));
            return;
        }

        if (args.Length > 0 && args[0] == "cores")
        {
            CoresRun.Run(args.Length > 2 && args[1] == "--seconds" ? double.Parse(args[2], CultureInfo.InvariantCulture) : 1.0);
            return;
        }

        if (args.Length > 0 && args[0] == "seeding")
        {
            SeedingRun.Run(args);
            return;
        }

        if (args.Length > 0 && args[0] == "--quick")
        {
            double seconds = 1.0;
            int points = Shape.DefaultPoints;
            IReadOnlyList<(int D, int K)> shapes = Shapes.All;
            bool scalar = true;
            bool minibatch = false;
            for (int i = 1; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--seconds":
                        seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--points":
                        points = int.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--shapes":
                        shapes = Shapes.Parse(args[++i]);
                        break;
                    case "--no-scalar":
                        scalar = false;
                        break;
                    case "--minibatch":
                        minibatch = true;
                        break;
                    case "--no-estep":
                        shapes = [];
                        break;
                    default:
                        throw new ArgumentException($"Unknown option {args[i]}.");
                }
            }

            QuickRun.Run(shapes, seconds, points, scalar);
            if (minibatch)
            {
                QuickRun.RunMiniBatch(d: 16, k: 64, batch: 1024, seconds);
            }

            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
