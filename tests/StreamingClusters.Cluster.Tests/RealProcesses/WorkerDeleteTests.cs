using System.Net;
using System.Text;
using System.Text.Json;

namespace StreamingClusters.Cluster.Tests.RealProcesses;

/// <summary>DELETE /models/{name} over HTTP on three workers in cluster mode: the answers each route gives on every worker.</summary>
public sealed class WorkerDeleteTests
{
    private const string Points = "0,0\n0,1\n9,9\n9,10\n-9,5\n-9,6\n";

    [Fact]
    public async Task Delete_OnOneWorker_404OnTheOthers_DefaultRefused_NameMadeAgainWithAnotherK()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        await using WorkerCluster cluster = await WorkerCluster.StartAsync(3, client);
        (Uri a, Uri b, Uri c) = (cluster.Workers[0].Address, cluster.Workers[1].Address, cluster.Workers[2].Address);
        Assert.Equal(HttpStatusCode.Created, await PutAsync(client, a, """{"Clusters":3,"Dimensions":2,"Seeding":{"BufferSize":6}}"""));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(client, b, Points));

        using (HttpResponseMessage deleted = await client.DeleteAsync(new Uri(a, "/models/gone")))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        // B held the model's definition; C never asked for it.
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(client, b, Points));
        foreach (Uri worker in new[] { b, c })
        {
            using HttpResponseMessage model = await client.GetAsync(new Uri(worker, "/models/gone"));
            Assert.Equal(HttpStatusCode.NotFound, model.StatusCode);
            using HttpResponseMessage list = await client.GetAsync(new Uri(worker, "/models"));
            using JsonDocument models = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
            Assert.DoesNotContain("gone", models.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        }

        using (HttpResponseMessage again = await client.DeleteAsync(new Uri(c, "/models/gone")))
        using (HttpResponseMessage refused = await client.DeleteAsync(new Uri(c, "/models/default")))
        {
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.Conflict), (again.StatusCode, refused.StatusCode));
        }

        Assert.Equal(HttpStatusCode.Created, await PutAsync(client, b, """{"Clusters":2,"Dimensions":2,"Seeding":{"BufferSize":6}}"""));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(client, c, Points));
        using HttpResponseMessage remade = await client.GetAsync(new Uri(a, "/models/gone"));
        using JsonDocument snapshot = JsonDocument.Parse(await remade.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, remade.StatusCode);
        Assert.Equal((2, 6L), (snapshot.RootElement.GetProperty("clusters").GetInt32(), snapshot.RootElement.GetProperty("pointsApplied").GetInt64()));
    }

    private static async Task<HttpStatusCode> PutAsync(HttpClient client, Uri worker, string settings)
    {
        using HttpResponseMessage response = await client.PutAsync(new Uri(worker, "/models/gone"), new StringContent(settings, Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, Uri worker, string csv)
    {
        using HttpResponseMessage response = await client.PostAsync(new Uri(worker, "/models/gone/points"), new StringContent(csv, Encoding.UTF8, "text/csv"));
        return response.StatusCode;
    }
}
