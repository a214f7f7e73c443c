// Simulated sensors: replays a CSV of readings to an MQTT broker, one flat JSON object per reading
// (the CSV's header names its fields), QoS 1, on sensors/MACHINE/readings. The sample stream comes from
// one machine; --machines N deals its rows in turn to N machines (press-01 … press-N), one topic each.
// A row that does not have the header's number of fields is sent as it is (not JSON): the service
// rejects it, counts it and writes it to its dead letters.
//
//   dotnet run --project samples/SensorPublisher -c Release -- --broker mqtt://127.0.0.1:1883 --rate 800
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

string broker = "mqtt://127.0.0.1:1883";
string file = "samples/sensors.csv";
int machines = 4;
double rate = 800;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--broker": broker = args[i + 1]; break;
        case "--file": file = args[i + 1]; break;
        case "--machines": machines = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--rate": rate = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown switch {args[i]}; use --broker URL --file CSV --machines N --rate READINGS_PER_SECOND (0: as fast as the broker takes them)");
            return 2;
    }
}

using IMqttClient client = new MqttClientFactory().CreateMqttClient();
await client.ConnectAsync(new MqttClientOptionsBuilder().WithConnectionUri(broker).WithClientId("streamingclusters-sample-sensors").Build());
using StreamReader reader = new(file);
string[] header = (await reader.ReadLineAsync())!.Split(',');
var clock = Stopwatch.StartNew();
long sent = 0;
string? line;
while ((line = await reader.ReadLineAsync()) is not null)
{
    string machine = string.Create(CultureInfo.InvariantCulture, $"press-{(sent % machines) + 1:00}");
    await client.PublishAsync(new MqttApplicationMessageBuilder()
        .WithTopic($"sensors/{machine}/readings")
        .WithPayload(Reading(header, line.Split(','), machine) ?? Encoding.UTF8.GetBytes(line))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build());
    sent++;
    if (rate > 0 && TimeSpan.FromSeconds(sent / rate) - clock.Elapsed is { Ticks: > 0 } ahead)
    {
        await Task.Delay(ahead);
    }

    if (sent % 10_000 == 0)
    {
        Console.Error.WriteLine($"{sent:N0} readings published");
    }
}

await client.DisconnectAsync();
Console.Error.WriteLine($"{sent:N0} readings published in {clock.Elapsed.TotalSeconds:F1} s");
return 0;

// {"timestamp": 1767225600, "temperature": 20.82, …, "machine": "press-01"}, or null for a row of the wrong shape.
static byte[]? Reading(string[] header, string[] fields, string machine)
{
    if (fields.Length != header.Length)
    {
        return null;
    }

    var buffer = new MemoryStream();
    using (var json = new Utf8JsonWriter(buffer))
    {
        json.WriteStartObject();
        for (int f = 0; f < header.Length; f++)
        {
            if (header[f] == "machine")
            {
                json.WriteString("machine", machine);
            }
            else if (double.TryParse(fields[f], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            {
                json.WriteNumber(header[f], value);
            }
            else
            {
                json.WriteString(header[f], fields[f]);
            }
        }

        json.WriteEndObject();
    }

    return buffer.ToArray();
}
