using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

/// <summary>Small GGUF files written with <see cref="GgufWriter"/>, so reader tests need no external data.</summary>
public static class GgufFixtures
{
    /// <summary>One value of every metadata type, nested arrays included.</summary>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>> EveryValueType { get; } =
    [
        new("general.architecture", GgufValue.Of("llama")),
        new("test.u8", GgufValue.Of((byte)200)),
        new("test.i8", GgufValue.Of((sbyte)-100)),
        new("test.u16", GgufValue.Of((ushort)60000)),
        new("test.i16", GgufValue.Of((short)-30000)),
        new("test.u32", GgufValue.Of(4_000_000_000u)),
        new("test.i32", GgufValue.Of(-2_000_000_000)),
        new("test.u64", GgufValue.Of(18_000_000_000_000_000_000UL)),
        new("test.i64", GgufValue.Of(-9_000_000_000_000_000_000L)),
        new("test.f32", GgufValue.Of(3.25f)),
        new("test.f64", GgufValue.Of(-1e300)),
        new("test.bool", GgufValue.Of(true)),
        new("test.string", GgufValue.Of("héllo ▁world <s>")),
        new("test.empty_string", GgufValue.Of("")),
        new("test.array_i32", GgufValue.ArrayOf(GgufValueType.Int32, [1, -2, 3])),
        new("test.array_f32", GgufValue.ArrayOf(GgufValueType.Float32, [0.5f, -1.5f])),
        new("test.array_string", GgufValue.ArrayOf(GgufValueType.String, ["a", "", "ü"])),
        new("test.array_bool", GgufValue.ArrayOf(GgufValueType.Bool, [true, false])),
        new("test.array_u8", GgufValue.ArrayOf(GgufValueType.UInt8, [(byte)1, (byte)255])),
        new("test.array_empty", GgufValue.ArrayOf(GgufValueType.UInt64, [])),
        new("test.array_nested", GgufValue.ArrayOf(GgufValueType.Array,
        [
            new GgufArray(GgufValueType.Int16, [(short)7, (short)-7]),
            new GgufArray(GgufValueType.Array, [new GgufArray(GgufValueType.String, ["deep"])]),
        ])),
    ];

    /// <summary>A small valid model: every metadata type, a few tensors of float and quantized types, seeded data.</summary>
    public static byte[] SmallModel(int alignment = GgufFile.DefaultAlignment, int seed = 1)
    {
        using var stream = new MemoryStream();
        using (var writer = new GgufWriter(stream, leaveOpen: true))
        {
            if (alignment != GgufFile.DefaultAlignment) writer.AddMetadata(GgufFile.AlignmentKey, GgufValue.Of((uint)alignment));
            foreach (var (key, value) in EveryValueType) writer.AddMetadata(key, value);
            writer.AddMetadata("tokenizer.ggml.tokens", GgufValue.ArrayOf(GgufValueType.String, ["<unk>", "<s>", "</s>", "a", "b"]));
            var tensors = new (string Name, long[] Dims, GgmlType Type)[]
            {
                ("token_embd.weight", [32, 5], GgmlType.Q8_0),
                ("norm.weight", [7], GgmlType.F32),
                ("half.weight", [3, 2], GgmlType.F16),
                ("k.weight", [256, 2], GgmlType.Q4_K),
            };
            foreach (var t in tensors) writer.AddTensor(t.Name, t.Dims, t.Type);
            writer.WriteHeader();
            var random = new Random(seed);
            foreach (var t in tensors)
            {
                var values = new float[t.Dims.Aggregate(1L, (a, b) => a * b)];
                for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
                var bytes = new byte[GgmlTypeInfo.RowBytes(t.Type, t.Dims[0]) * (values.Length / t.Dims[0])];
                var rowBytes = (int)GgmlTypeInfo.RowBytes(t.Type, t.Dims[0]);
                for (var r = 0; r < values.Length / t.Dims[0]; r++)
                    Quantize.Row(t.Type, values.AsSpan(r * (int)t.Dims[0], (int)t.Dims[0]), bytes.AsSpan(r * rowBytes, rowBytes));
                writer.WriteTensorData(bytes);
            }
            writer.Finish();
        }
        return stream.ToArray();
    }

    /// <summary>A vocabulary-only GGUF (tokenizer metadata, no tensors), like llama.cpp's ggml-vocab-*.gguf.</summary>
    public static string WriteVocabulary(string path, int tokens = 300)
    {
        using var writer = new GgufWriter(File.Create(path));
        writer.AddMetadata("general.architecture", GgufValue.Of("llama"));
        writer.AddMetadata("tokenizer.ggml.model", GgufValue.Of("llama"));
        writer.AddMetadata("tokenizer.ggml.tokens", GgufValue.ArrayOf(GgufValueType.String, Enumerable.Range(0, tokens).Select(i => (object)$"tok{i}")));
        writer.AddMetadata("tokenizer.ggml.scores", GgufValue.ArrayOf(GgufValueType.Float32, Enumerable.Range(0, tokens).Select(i => (object)(float)-i)));
        writer.AddMetadata("tokenizer.ggml.bos_token_id", GgufValue.Of(1u));
        writer.AddMetadata("tokenizer.chat_template", GgufValue.Of("{% for m in messages %}{{ m.content }}{% endfor %}"));
        writer.Finish();
        return path;
    }
}
