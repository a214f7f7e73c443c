using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using StreamingClusters.Mixture;
using StreamingClusters.Model;
using StreamingClusters.Scaling;

namespace StreamingClusters.Cluster;

/// <summary>
/// The model's state in a compact binary form, as a model grain persists it and sends it to the silos:
/// a format byte, then every field of <see cref="StreamingModelState"/> in a fixed order, little-endian,
/// arrays as a length (−1 for null) and their raw values, strings as UTF-8 with their byte length.
/// Doubles travel as their bits, so every value (−0, NaN payloads, subnormals) comes back as it was.
/// A state written as JSON (the form a grain persisted before, which starts with '{') is still read.
/// </summary>
internal sealed class ModelStateCodec
{
    /// <summary>The first byte of the binary form; JSON starts with '{' (0x7B), so the two never mix up.</summary>
    public const byte Format = 1;

    /// <summary>The latest events written, and their encoding: events change far less often than the model.</summary>
    private ClusterEvent[] _events = [];
    private byte[] _eventsBytes = EncodeEvents([]);

    /// <summary>Writes a state.</summary>
    /// <param name="state">The state.</param>
    /// <returns>The binary form.</returns>
    public byte[] Write(StreamingModelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ClusterModelState m = state.Model;
        var w = new Writer(256 + (16 * (m.Centroids.Length + m.Weights.Length + m.Inertia.Length)));
        w.Byte(Format);
        WriteSettings(ref w, m.Settings);
        w.Int64(m.Version);
        w.Bool(m.Seeded);
        w.Doubles(m.Centroids);
        w.Doubles(m.Weights);
        w.Doubles(m.Inertia);
        w.Int64(m.PointsApplied);
        w.Int64s(m.Ids);
        w.Int64(m.NextId);
        w.Raw(EventsBytes(m.RecentEvents));
        w.Int64s(m.HeldUntil);
        w.Doubles(m.FedWeights);
        w.NullableDouble(m.RepairLeastUtility);
        w.NullableInt64(m.RepairSpreadMisses);
        w.NullableInt64(m.RepairSpreadResumes);
        w.Bool(m.RepairGroup is not null);
        if (m.RepairGroup is { } g)
        {
            w.Int32(g.Slot);
            w.Doubles(g.PastCentroid);
            w.Double(g.PastWeight);
            w.Double(g.PastStartWeight);
            w.Double(g.PastInertia);
            w.Doubles(g.Mean);
            w.Double(g.Weight);
            w.Double(g.Error);
        }

        w.UInt64s(m.RandomState);
        w.Int64s(state.Counts);
        w.Bool(state.LastApplied is not null);
        if (state.LastApplied is { } applied)
        {
            w.Int64(applied.UtcTicks);
            w.Int32((int)applied.Offset.TotalMinutes);
        }

        w.Bool(state.Mixture is not null);
        if (state.Mixture is { } mixture)
        {
            w.Doubles(mixture.Variances);
            w.Doubles(mixture.Priors);
            w.Doubles(mixture.VarianceFloor);
            w.Double(mixture.LogLikelihood);
            w.Double(mixture.LogLikelihoodWeight);
        }

        w.Bool(state.Scaling is not null);
        if (state.Scaling is { } scaling)
        {
            w.Doubles(scaling.Mean);
            w.Doubles(scaling.Std);
        }

        return w.ToArray();
    }

    /// <summary>Reads a state written by <see cref="Write"/>, or by <see cref="ModelStateJson.Write"/> before.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The state.</returns>
    /// <exception cref="FormatException">The bytes are neither form, or are cut short.</exception>
    public static StreamingModelState Read(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new FormatException("A model's persisted state is empty.");
        }

        if (data[0] == (byte)'{')
        {
            return ModelStateJson.Read(data.ToArray());
        }

        if (data[0] != Format)
        {
            throw new FormatException($"A model's persisted state has format {data[0]}; this version reads format {Format} and JSON.");
        }

        var r = new Reader(data[1..]);
        try
        {
            ModelSettings settings = ReadSettings(ref r);
            long version = r.Int64();
            bool seeded = r.Bool();
            double[] centroids = r.Doubles()!;
            double[] weights = r.Doubles()!;
            double[] inertia = r.Doubles()!;
            long pointsApplied = r.Int64();
            long[]? ids = r.Int64s();
            long nextId = r.Int64();
            ClusterEvent[]? events = ReadEvents(ref r);
            long[]? heldUntil = r.Int64s();
            double[]? fedWeights = r.Doubles();
            double? leastUtility = r.NullableDouble();
            long? spreadMisses = r.NullableInt64();
            long? spreadResumes = r.NullableInt64();
            ArrivingGroupState? group = r.Bool()
                ? new ArrivingGroupState
                {
                    Slot = r.Int32(),
                    PastCentroid = r.Doubles()!,
                    PastWeight = r.Double(),
                    PastStartWeight = r.Double(),
                    PastInertia = r.Double(),
                    Mean = r.Doubles()!,
                    Weight = r.Double(),
                    Error = r.Double(),
                }
                : null;
            ulong[] randomState = r.UInt64s()!;
            long[] counts = r.Int64s()!;
            DateTimeOffset? lastApplied = r.Bool() ? ReadTime(ref r) : null;
            MixtureState? mixture = r.Bool()
                ? new MixtureState
                {
                    Variances = r.Doubles()!,
                    Priors = r.Doubles()!,
                    VarianceFloor = r.Doubles()!,
                    LogLikelihood = r.Double(),
                    LogLikelihoodWeight = r.Double(),
                }
                : null;
            ColumnScalingState? scaling = r.Bool() ? new ColumnScalingState(r.Doubles()!, r.Doubles()!) : null;
            if (!r.AtEnd)
            {
                throw new FormatException($"A model's persisted state has {r.Remaining} bytes beyond its last field.");
            }

            return new StreamingModelState
            {
                Model = new ClusterModelState
                {
                    Settings = settings,
                    Version = version,
                    Seeded = seeded,
                    Centroids = centroids,
                    Weights = weights,
                    Inertia = inertia,
                    PointsApplied = pointsApplied,
                    Ids = ids,
                    NextId = nextId,
                    RecentEvents = events,
                    HeldUntil = heldUntil,
                    FedWeights = fedWeights,
                    RepairLeastUtility = leastUtility,
                    RepairSpreadMisses = spreadMisses is { } misses ? checked((int)misses) : null,
                    RepairSpreadResumes = spreadResumes,
                    RepairGroup = group,
                    RandomState = randomState,
                },
                Counts = counts,
                LastApplied = lastApplied,
                Mixture = mixture,
                Scaling = scaling,
            };
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException or DecoderFallbackException)
        {
            throw new FormatException("A model's persisted state is cut short or damaged.", ex);
        }
    }

    private static void WriteSettings(ref Writer w, ModelSettings s)
    {
        w.Int32(s.Clusters);
        w.Int32(s.Dimensions);
        w.UInt64(s.Seed);
        w.Double(s.ReseedRatio);
        w.Bool(s.Repair);
        w.Int32(s.RepairEvery);
        w.Int32(s.RepairHold);
        w.Int32(s.SeedingCandidates);
        w.Int32(s.RefineIterations);
        w.Int32(s.SeedingStarts);
        w.Int32(s.SeedingBreaths);
        w.Int32(s.BreathingDepth);
    }

    private static ModelSettings ReadSettings(ref Reader r) => new(r.Int32(), r.Int32())
    {
        Seed = r.UInt64(),
        ReseedRatio = r.Double(),
        Repair = r.Bool(),
        RepairEvery = r.Int32(),
        RepairHold = r.Int32(),
        SeedingCandidates = r.Int32(),
        RefineIterations = r.Int32(),
        SeedingStarts = r.Int32(),
        SeedingBreaths = r.Int32(),
        BreathingDepth = r.Int32(),
    };

    private static DateTimeOffset ReadTime(ref Reader r)
    {
        long utcTicks = r.Int64();
        var offset = TimeSpan.FromMinutes(r.Int32());
        return new DateTimeOffset(utcTicks + offset.Ticks, offset);
    }

    /// <summary>The events' encoding, made again only when they differ from the last ones written (by reference, one by one).</summary>
    private byte[] EventsBytes(IReadOnlyList<ClusterEvent>? events)
    {
        if (events is null)
        {
            return EncodeEvents(null);
        }

        bool same = events.Count == _events.Length;
        for (int i = 0; same && i < _events.Length; i++)
        {
            same = ReferenceEquals(events[i], _events[i]);
        }

        if (!same)
        {
            _events = [.. events];
            _eventsBytes = EncodeEvents(_events);
        }

        return _eventsBytes;
    }

    private static byte[] EncodeEvents(IReadOnlyList<ClusterEvent>? events)
    {
        var w = new Writer(16 + ((events?.Count ?? 0) * 96));
        w.Int32(events?.Count ?? -1);
        foreach (ClusterEvent e in events ?? [])
        {
            w.Int32((int)e.Kind);
            w.Int64(e.Version);
            w.Int32(e.Slot);
            w.NullableInt64(e.OldId);
            w.NullableInt64(e.NewId);
            w.NullableInt64(e.FromId);
            w.String(e.Reason);
        }

        return w.ToArray();
    }

    private static ClusterEvent[]? ReadEvents(ref Reader r)
    {
        int count = r.Int32();
        if (count < 0)
        {
            return null;
        }

        var events = new ClusterEvent[count];
        for (int i = 0; i < count; i++)
        {
            var kind = (ClusterEventKind)r.Int32();
            long version = r.Int64();
            int slot = r.Int32();
            long? oldId = r.NullableInt64();
            long? newId = r.NullableInt64();
            long? fromId = r.NullableInt64();
            events[i] = new ClusterEvent(kind, version, slot, oldId, newId, r.String()) { FromId = fromId };
        }

        return events;
    }

    /// <summary>Appends little-endian values to a growing buffer.</summary>
    private ref struct Writer(int capacity)
    {
        private byte[] _buffer = new byte[Math.Max(capacity, 16)];
        private int _length;

        public void Byte(byte value) => Take(1)[0] = value;

        public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

        public void Int32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

        public void Int64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

        public void UInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

        public void Double(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Take(8), value);

        public void NullableInt64(long? value)
        {
            Bool(value is not null);
            if (value is { } v)
            {
                Int64(v);
            }
        }

        public void NullableDouble(double? value)
        {
            Bool(value is not null);
            if (value is { } v)
            {
                Double(v);
            }
        }

        public void String(string value)
        {
            int bytes = Encoding.UTF8.GetByteCount(value);
            Int32(bytes);
            Encoding.UTF8.GetBytes(value, Take(bytes));
        }

        public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

        public void Doubles(double[]? values) => Array<double>(values);

        public void Int64s(long[]? values) => Array<long>(values);

        public void UInt64s(ulong[]? values) => Array<ulong>(values);

        public readonly byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private void Array<T>(T[]? values)
            where T : unmanaged
        {
            Int32(values?.Length ?? -1);
            if (values is null)
            {
                return;
            }

            ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(values.AsSpan());
            Span<byte> target = Take(raw.Length);
            raw.CopyTo(target);
            if (!BitConverter.IsLittleEndian)
            {
                // Every element is 8 bytes wide: turn each around.
                for (int i = 0; i < target.Length; i += 8)
                {
                    target.Slice(i, 8).Reverse();
                }
            }
        }

        private Span<byte> Take(int count)
        {
            if (_length + count > _buffer.Length)
            {
                System.Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
            }

            Span<byte> span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    /// <summary>Reads what <see cref="Writer"/> wrote.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position == _data.Length;

        public readonly int Remaining => _data.Length - _position;

        public bool Bool() => Next(1)[0] switch
        {
            0 => false,
            1 => true,
            byte b => throw new FormatException($"A model's persisted state holds {b} where a flag (0 or 1) belongs."),
        };

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Next(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Next(8));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Next(8));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Next(8));

        public long? NullableInt64() => Bool() ? Int64() : null;

        public double? NullableDouble() => Bool() ? Double() : null;

        public string String() => Encoding.UTF8.GetString(Next(Int32()));

        public double[]? Doubles() => Array<double>();

        public long[]? Int64s() => Array<long>();

        public ulong[]? UInt64s() => Array<ulong>();

        private T[]? Array<T>()
            where T : unmanaged
        {
            int length = Int32();
            if (length < 0)
            {
                return null;
            }

            if ((long)length * 8 > Remaining)
            {
                throw new FormatException($"A model's persisted state holds an array of {length} values where {Remaining} bytes are left.");
            }

            var values = new T[length];
            Span<byte> target = MemoryMarshal.AsBytes(values.AsSpan());
            Next(target.Length).CopyTo(target);
            if (!BitConverter.IsLittleEndian)
            {
                for (int i = 0; i < target.Length; i += 8)
                {
                    target.Slice(i, 8).Reverse();
                }
            }

            return values;
        }

        private ReadOnlySpan<byte> Next(int count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            ReadOnlySpan<byte> span = _data.Slice(_position, count);
            _position += count;
            return span;
        }
    }
}
