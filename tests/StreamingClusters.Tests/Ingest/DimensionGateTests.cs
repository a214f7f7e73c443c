using StreamingClusters.Ingest;

namespace StreamingClusters.Tests.Ingest;

public sealed class DimensionGateTests
{
    [Fact]
    public async Task Propose_FirstProposalWins_LaterOnesGetIt()
    {
        var gate = new DimensionGate(0);

        Assert.Equal(3, gate.Propose(3));
        Assert.Equal(3, gate.Propose(5));
        Assert.True(gate.Known.IsCompletedSuccessfully);
        Assert.Equal(3, await gate.Known);
    }

    [Fact]
    public void Constructor_Configured_IsKnownAtOnce()
    {
        var gate = new DimensionGate(16);

        Assert.Equal(16, gate.Dimensions);
        Assert.Equal(16, gate.Propose(4));
    }
}
