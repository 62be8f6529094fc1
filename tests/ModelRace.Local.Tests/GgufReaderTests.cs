using System.Buffers.Binary;
using System.Text;
using ModelRace.Local.Gguf;

namespace ModelRace.Local.Tests;

public class GgufReaderTests
{
    [Fact]
    public void Reads_every_shared_model_header_and_tensor_bounds()
    {
        var dir = SharedData.RequireDirectory("gguf/models");
        foreach (var path in Directory.GetFiles(dir, "*.gguf"))
        {
            using var file = GgufFile.Open(path);
            Assert.Contains(file.Architecture, new[] { "llama", "qwen2" });
            Assert.NotEmpty(file.Tensors);
            Assert.NotNull(file.GetArray("tokenizer.ggml.tokens"));
            var embeddings = file.GetTensor("token_embd.weight");
            Assert.Equal(2, embeddings.Dimensions.Count);
            Assert.True(file.TensorData(embeddings).Length > 0);
        }
    }

    [Fact]
    public void Reads_version_2_files_like_version_3()
    {
        var bytes = GgufFixtures.SmallModel();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);
        using var file = GgufFile.FromBytes(bytes);
        Assert.Equal(2u, file.Version);
        Assert.Equal(4, file.Tensors.Count);
        Assert.Equal("héllo ▁world <s>", file.GetString("test.string"));
    }

    /// <summary>A hand-built header, for files the writer refuses to produce.</summary>
    private sealed class Raw
    {
        private readonly List<byte> _bytes = [];
        public Raw U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); _bytes.AddRange(b.ToArray()); return this; }
        public Raw U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); _bytes.AddRange(b.ToArray()); return this; }
        public Raw Str(string s) { var b = Encoding.UTF8.GetBytes(s); U64((ulong)b.Length); _bytes.AddRange(b); return this; }
        public Raw Byte(byte b) { _bytes.Add(b); return this; }
        public Raw Zeros(int n) { _bytes.AddRange(new byte[n]); return this; }
        public static Raw Header(ulong tensors, ulong keys, uint version = 3) => new Raw().U32(GgufHeaderMagic).U32(version).U64(tensors).U64(keys);
        public Raw Tensor(string name, ulong[] dims, uint type, ulong offset)
        {
            Str(name).U32((uint)dims.Length);
            foreach (var d in dims) U64(d);
            return U32(type).U64(offset);
        }
        public byte[] ToArray() => [.. _bytes];
    }

    private const uint GgufHeaderMagic = 0x46554747;

    private static string Rejects(byte[] bytes)
    {
        var error = Assert.Throws<GgufFormatException>(() => GgufFile.FromBytes(bytes).Dispose());
        return error.Message;
    }

    public static TheoryData<string, byte[], string> BadFiles => new()
    {
        { "wrong magic", [.. "GGML"u8, .. new byte[60]], "wrong magic" },
        { "tiny", [(byte)'G', (byte)'G'], "truncated file" },
        { "version 1", Raw.Header(0, 0, version: 1).Zeros(8).ToArray(), "unsupported GGUF version 1" },
        { "version 4", Raw.Header(0, 0, version: 4).ToArray(), "unsupported GGUF version 4" },
        { "big-endian", Raw.Header(0, 0, version: 0x03000000).ToArray(), "big-endian" },
        { "absurd key count", Raw.Header(0, ulong.MaxValue).Zeros(64).ToArray(), "absurd metadata key count" },
        { "absurd tensor count", Raw.Header(1UL << 40, 0).Zeros(64).ToArray(), "absurd tensor count" },
        { "string past end", Raw.Header(0, 1).U64(1_000_000).Zeros(40).ToArray(), "runs past the end of the file" },
        { "key with no value", Raw.Header(0, 1).Str("general.name").U32(8).ToArray(), "truncated file" },
        { "unknown value type", Raw.Header(0, 1).Str("k").U32(77).Zeros(16).ToArray(), "unknown metadata value type 77" },
        { "bad bool", Raw.Header(0, 1).Str("k").U32(7).Byte(2).Zeros(16).ToArray(), "not a valid bool" },
        { "absurd array", Raw.Header(0, 1).Str("k").U32(9).U32(5).U64(1UL << 50).Zeros(16).ToArray(), "more than the file can hold" },
        { "array of unknown type", Raw.Header(0, 1).Str("k").U32(9).U32(99).U64(1).Zeros(16).ToArray(), "unknown value type 99" },
        { "arrays nested too deep", DeepArray(12), "nests arrays" },
        { "duplicate key", Raw.Header(0, 2).Str("k").U32(4).U32(1).Str("k").U32(4).U32(2).ToArray(), "appears twice" },
        { "unknown tensor type", Raw.Header(1, 0).Tensor("t", [32], 99, 0).Zeros(64).ToArray(), "unknown tensor type 99" },
        { "five dimensions", Raw.Header(1, 0).Tensor("t", [1, 1, 1, 1, 1], 0, 0).Zeros(64).ToArray(), "5 dimensions" },
        { "partial block", Raw.Header(1, 0).Tensor("t", [33], 8, 0).Zeros(64).ToArray(), "not a multiple of the Q8_0 block size 32" },
        { "offset out of range", Raw.Header(1, 0).Tensor("t", [4], 0, 1UL << 40).Zeros(64).ToArray(), "runs past the end of the file" },
        { "data past end", Raw.Header(1, 0).Tensor("t", [200], 0, 0).Zeros(64).ToArray(), "runs past the end of the file" },
        { "misaligned offset", Raw.Header(1, 0).Tensor("t", [4], 0, 4).Zeros(96).ToArray(), "not aligned" },
        { "huge dimensions", Raw.Header(1, 0).Tensor("t", [1UL << 62], 0, 0).Zeros(64).ToArray(), "cannot fit" },
        { "overflowing product", Raw.Header(1, 0).Tensor("t", [1000, 1000, 1000, 1000], 0, 0).Zeros(1000).ToArray(), "past the end of the file" },
        { "duplicate tensor", Raw.Header(2, 0).Tensor("t", [4], 0, 0).Tensor("t", [4], 0, 32).Zeros(128).ToArray(), "appears twice" },
        { "bad alignment", Raw.Header(0, 1).Str("general.alignment").U32(4).U32(48).ToArray(), "power of two" },
        { "alignment not an integer", Raw.Header(0, 1).Str("general.alignment").U32(8).Str("x").ToArray(), "not an integer" },
    };

    private static byte[] DeepArray(int depth)
    {
        var raw = Raw.Header(0, 1).Str("k").U32(9);
        for (var i = 0; i < depth; i++) raw.U32(9).U64(1);
        return raw.U32(4).U64(0).Zeros(16).ToArray();
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_input_gives_a_clear_format_error(string problem, byte[] bytes, string expected)
    {
        var message = Rejects(bytes);
        Assert.True(message.Contains(expected, StringComparison.Ordinal), $"{problem}: expected '{expected}' in: {message}");
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_is_reported()
    {
        var bytes = GgufFixtures.SmallModel();
        using var whole = GgufFile.FromBytes(bytes);
        var lastTensorEnd = whole.DataOffset + whole.Tensors.Max(t => (long)t.Offset + t.ByteSize);
        for (var length = 0; length < lastTensorEnd; length += length < 600 ? 1 : 37)
        {
            var message = Rejects(bytes[..length]);
            Assert.True(message.Contains("truncated") || message.Contains("past the end") || message.Contains("too short"), $"{length}: {message}");
        }
    }

    [Fact]
    public void Open_names_the_file_in_errors_and_finds_missing_files()
    {
        var dir = Directory.CreateTempSubdirectory("gguf-reader-");
        try
        {
            var path = Path.Combine(dir.FullName, "short.gguf");
            File.WriteAllBytes(path, "GGUF"u8.ToArray());
            Assert.Contains(path, Assert.Throws<GgufFormatException>(() => GgufFile.Open(path)).Message);
            var bad = Path.Combine(dir.FullName, "bad.gguf");
            File.WriteAllBytes(bad, Raw.Header(1, 0).Tensor("t", [4], 99, 0).Zeros(64).ToArray());
            var message = Assert.Throws<GgufFormatException>(() => GgufFile.Open(bad)).Message;
            Assert.Contains(bad, message);
            Assert.Contains("unknown tensor type", message);
            Assert.Throws<FileNotFoundException>(() => GgufFile.Open(Path.Combine(dir.FullName, "absent.gguf")));
            var good = Path.Combine(dir.FullName, "good.gguf");
            File.WriteAllBytes(good, GgufFixtures.SmallModel());
            using var file = GgufFile.Open(good);
            Assert.Equal(4, file.Tensors.Count);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Numeric_arrays_read_as_typed_values()
    {
        var dir = SharedData.RequireDirectory("gguf/models");
        using var file = GgufFile.Open(Path.Combine(dir, "tiny-llama-spm-f16.gguf"));
        var scores = file.GetArray("tokenizer.ggml.scores")!;
        Assert.Equal(GgufValueType.Float32, scores.ElementType);
        Assert.Equal(32000, scores.Items.Count);
        Assert.Equal(scores.Items.Cast<float>(), scores.ToArray<float>());
        Assert.IsType<float>(scores.Items[5]);
        var types = file.GetArray("tokenizer.ggml.token_type")!;
        Assert.Equal(3, types.As<int>().ElementAt(1)); // <s> is a control token (llama.cpp's LLAMA_TOKEN_TYPE_CONTROL)
    }
}
