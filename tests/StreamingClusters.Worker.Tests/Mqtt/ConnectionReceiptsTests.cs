using StreamingClusters.Mqtt;

namespace StreamingClusters.Worker.Tests.Mqtt;

/// <summary>
/// A connection's share of its source's window: what it read counts until acknowledged; when it ends, what
/// it read and never handed to the source is given back at once, and nothing read or handed over after
/// that counts.
/// </summary>
public sealed class ConnectionReceiptsTests
{
    [Fact]
    public void End_MessagesReadButNotDelivered_GivenBackAndLaterOnesNotCounted()
    {
        var window = new ReceiveWindow(10);
        var receipts = new ConnectionReceipts(window);
        for (int i = 0; i < 5; i++)
        {
            receipts.MessageRead();
        }

        Assert.True(receipts.TryDeliver());
        Assert.True(receipts.TryDeliver());
        Assert.Equal(5, window.Held);

        receipts.End();

        // The two delivered stay held until the acknowledgement queue gives them back; the three others are back.
        Assert.Equal(2, window.Held);
        receipts.MessageRead();
        Assert.False(receipts.TryDeliver());
        Assert.Equal(2, window.Held);
        receipts.End();
        Assert.Equal(2, window.Held);
        window.Release(2);
        Assert.Equal(0, window.Held);
        Assert.Equal(5, window.MostHeld);
    }

    [Fact]
    public async Task WhenRoom_WindowFull_CompletesOnceAMessageIsGivenBack()
    {
        var window = new ReceiveWindow(2);
        var receipts = new ConnectionReceipts(window);
        receipts.MessageRead();
        Assert.True(window.WhenRoom().IsCompleted);
        receipts.MessageRead();

        Task room = window.WhenRoom();
        Assert.False(room.IsCompleted);
        Assert.False(window.HasRoom);

        window.Release(1);
        await room.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(window.HasRoom);
    }
}
