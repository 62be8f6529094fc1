using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

public class GgufWriterTests
{
    [Fact]
    public void Every_metadata_type_survives_a_round_trip()
    {
        using var file = GgufFile.FromBytes(GgufFixtures.SmallModel());
        Assert.Equal(3u, file.Version);
        foreach (var (key, expected) in GgufFixtures.EveryValueType)
        {
            var actual = file.Find(key);
            Assert.NotNull(actual);
            Assert.Equal(expected.Type, actual.Type);
            AssertSameValue(expected.Value, actual.Value);
        }
        Assert.Equal(GgufFixtures.EveryValueType.Select(p => p.Key), file.MetadataList.Select(p => p.Key).Take(GgufFixtures.EveryValueType.Count));
        Assert.Equal([1, -2, 3], file.GetArray("test.array_i32")!.ToArray<int>());
        Assert.Equal(["a", "", "ü"], file.GetArray("test.array_string")!.As<string>());
    }

    private static void AssertSameValue(object expected, object actual)
    {
        if (expected is GgufArray e)
        {
            var a = Assert.IsType<GgufArray>(actual);
            Assert.Equal(e.ElementType, a.ElementType);
            Assert.Equal(e.Items.Count, a.Items.Count);
            for (var i = 0; i < e.Items.Count; i++) AssertSameValue(e.Items[i], a.Items[i]);
        }
        else
        {
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Tensors_are_aligned_and_their_bytes_read_back(int alignment)
    {
        var bytes = GgufFixtures.SmallModel(alignment, seed: 5);
        using var file = GgufFile.FromBytes(bytes);
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(0, file.DataOffset % alignment);
        Assert.Equal(4, file.Tensors.Count);
        foreach (var tensor in file.Tensors) Assert.Equal(0UL, tensor.Offset % (ulong)alignment);
        var half = file.GetTensor("half.weight");
        Assert.Equal([3L, 2L], half.Dimensions);
        Assert.Equal(GgmlType.F16, half.Type);

        // The same seed gives the same values whatever the alignment.
        using var reference = GgufFile.FromBytes(GgufFixtures.SmallModel(32, seed: 5));
        foreach (var tensor in file.Tensors)
            Assert.True(file.TensorData(tensor).SequenceEqual(reference.TensorData(reference.GetTensor(tensor.Name))), tensor.Name);
    }

    [Fact]
    public void Writing_needs_no_seeking_so_it_streams()
    {
        using var sink = new ForwardOnlyStream();
        using (var writer = new GgufWriter(sink, leaveOpen: true))
        {
            writer.AddMetadata("general.architecture", GgufValue.Of("llama"));
            writer.AddTensor("a", [64], GgmlType.F32);
            writer.AddTensor("b", [32], GgmlType.Q8_0);
            writer.WriteHeader();
            var values = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
            var encoded = new byte[256];
            Quantize.Row(GgmlType.F32, values, encoded);
            writer.WriteTensorData(encoded.AsSpan(0, 100)); // in pieces
            writer.WriteTensorData(encoded.AsSpan(100, 156));
            var q = new byte[34];
            Quantize.Row(GgmlType.Q8_0, values.AsSpan(0, 32), q);
            writer.WriteTensorData(q);
            writer.Finish();
            Assert.Equal(sink.Length, writer.BytesWritten);
        }
        using var file = GgufFile.FromBytes(sink.ToArray());
        var row = new float[64];
        Dequantize.TensorRow(file, file.GetTensor("a"), 0, row);
        Assert.Equal(63f, row[63]);
    }

    [Fact]
    public void Misuse_is_refused_with_a_clear_message()
    {
        using var writer = new GgufWriter(new MemoryStream());
        writer.AddMetadata("k", GgufValue.Of(1u));
        Assert.Contains("already", Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", GgufValue.Of(2u))).Message);
        Assert.Contains("cannot hold", Assert.Throws<ArgumentException>(() => writer.AddMetadata("bad", new GgufValue(GgufValueType.UInt32, "text"))).Message);
        Assert.Contains("cannot hold", Assert.Throws<ArgumentException>(() =>
            writer.AddMetadata("bad.array", GgufValue.ArrayOf(GgufValueType.Int32, [1, "two"]))).Message);
        Assert.Throws<ArgumentException>(() => writer.AddMetadata(GgufFile.AlignmentKey, GgufValue.Of(48u)));
        Assert.Throws<GgufFormatException>(() => writer.AddTensor("q", [33], GgmlType.Q8_0));
        writer.AddTensor("t", [8], GgmlType.F32);
        Assert.Contains("already", Assert.Throws<ArgumentException>(() => writer.AddTensor("t", [8], GgmlType.F32)).Message);
        Assert.Throws<InvalidOperationException>(() => writer.WriteTensorData(new byte[4]));
        writer.WriteHeader();
        Assert.Throws<InvalidOperationException>(() => writer.AddMetadata("late", GgufValue.Of(1u)));
        Assert.Contains("exceed", Assert.Throws<ArgumentException>(() => writer.WriteTensorData(new byte[33])).Message);
        writer.WriteTensorData(new byte[16]);
        Assert.Contains("not written in full", Assert.Throws<InvalidOperationException>(writer.Finish).Message);
    }

    /// <summary>A write-only stream that cannot seek, as a pipe or socket would be.</summary>
    private sealed class ForwardOnlyStream : Stream
    {
        private readonly MemoryStream _inner = new();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _inner.Length;
        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);
        public byte[] ToArray() => _inner.ToArray();
        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
