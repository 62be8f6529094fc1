using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Synth;

public enum SynthTensorRole { Weight, Norm, Bias }

/// <summary>One tensor of a synthetic model: llama.cpp's name, ggml dimensions (row length first) and type.</summary>
public sealed record SynthTensor(string Name, long[] Dimensions, GgmlType Type, SynthTensorRole Role);

public sealed record SynthProgress(long BytesWritten, long TotalBytes, string Tensor);

/// <summary>
/// Writes llama-family GGUF models (llama, qwen2, qwen3) of any shape with seeded random weights and a real
/// tokenizer copied from another GGUF, for tests and benchmarks. Tensors are generated, quantized and streamed
/// to disk chunk by chunk, so a multi-GiB model needs only a few MiB of memory.
/// </summary>
public static class ModelSynthesizer
{
    private const int ChunkValues = 1 << 18;

    /// <summary>The tensors of a model of this shape, in file order.</summary>
    public static IReadOnlyList<SynthTensor> Plan(SynthSpec spec, int vocabSize)
    {
        spec.Validate();
        long embd = spec.EmbeddingLength, ff = spec.FeedForwardLength;
        long qDim = (long)spec.Heads * spec.HeadDim, kvDim = (long)spec.KvHeadCount * spec.HeadDim;
        var tensors = new List<SynthTensor>();
        void Weight(string name, long rowLength, long rows) =>
            tensors.Add(new(name, [rowLength, rows], StorageType(spec.WeightType, rowLength), SynthTensorRole.Weight));
        void Vector(string name, long length, SynthTensorRole role) => tensors.Add(new(name, [length], GgmlType.F32, role));

        Weight("token_embd.weight", embd, vocabSize);
        for (var layer = 0; layer < spec.Layers; layer++)
        {
            var p = $"blk.{layer}.";
            Vector(p + "attn_norm.weight", embd, SynthTensorRole.Norm);
            Weight(p + "attn_q.weight", embd, qDim);
            Weight(p + "attn_k.weight", embd, kvDim);
            Weight(p + "attn_v.weight", embd, kvDim);
            if (spec.Architecture == "qwen2")
            {
                Vector(p + "attn_q.bias", qDim, SynthTensorRole.Bias);
                Vector(p + "attn_k.bias", kvDim, SynthTensorRole.Bias);
                Vector(p + "attn_v.bias", kvDim, SynthTensorRole.Bias);
            }
            if (spec.Architecture == "qwen3")
            {
                Vector(p + "attn_q_norm.weight", spec.HeadDim, SynthTensorRole.Norm);
                Vector(p + "attn_k_norm.weight", spec.HeadDim, SynthTensorRole.Norm);
            }
            Weight(p + "attn_output.weight", qDim, embd);
            Vector(p + "ffn_norm.weight", embd, SynthTensorRole.Norm);
            Weight(p + "ffn_gate.weight", embd, ff);
            Weight(p + "ffn_down.weight", ff, embd);
            Weight(p + "ffn_up.weight", embd, ff);
        }
        Vector("output_norm.weight", embd, SynthTensorRole.Norm);
        if (!spec.TiedOutput) Weight("output.weight", embd, vocabSize);
        return tensors;
    }

    /// <summary>
    /// The requested type when the row length is whole blocks of it; otherwise the nearest type that fits
    /// (Q8_0 for k-quants when rows are multiples of 32, else F16), as llama.cpp's quantizer falls back.
    /// </summary>
    public static GgmlType StorageType(GgmlType requested, long rowLength)
    {
        if (rowLength % GgmlTypeInfo.BlockSize(requested) == 0) return requested;
        return GgmlTypeInfo.BlockSize(requested) == GgmlTypeInfo.QK_K && rowLength % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F16;
    }

    /// <summary>Writes the model to <paramref name="path"/> via a temporary file, so a failure never leaves half a model behind.</summary>
    public static void WriteFile(SynthSpec spec, GgufFile vocabulary, string path, IProgress<SynthProgress>? progress = null, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                Write(spec, vocabulary, stream, progress, cancellation);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Streams the model to <paramref name="output"/>; returns the bytes written.</summary>
    public static long Write(SynthSpec spec, GgufFile vocabulary, Stream output, IProgress<SynthProgress>? progress = null, CancellationToken cancellation = default)
    {
        var tokens = vocabulary.GetArray("tokenizer.ggml.tokens")
            ?? throw new ArgumentException($"{vocabulary.Path} has no tokenizer.ggml.tokens: it cannot lend a vocabulary");
        var plan = Plan(spec, tokens.Items.Count);
        using var writer = new GgufWriter(output, leaveOpen: true);
        foreach (var (key, value) in Metadata(spec, tokens.Items.Count)) writer.AddMetadata(key, value);
        foreach (var (key, value) in vocabulary.MetadataList)
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal)) writer.AddMetadata(key, value);
        foreach (var tensor in plan) writer.AddTensor(tensor.Name, tensor.Dimensions, tensor.Type);

        writer.WriteHeader();
        var total = writer.HeaderBytes + writer.DataBytes;
        progress?.Report(new SynthProgress(writer.BytesWritten, total, ""));
        foreach (var tensor in plan)
        {
            WriteTensor(spec, tensor, writer, () => progress?.Report(new SynthProgress(writer.BytesWritten, total, tensor.Name)), cancellation);
        }
        writer.Finish();
        progress?.Report(new SynthProgress(writer.BytesWritten, total, ""));
        return writer.BytesWritten;
    }

    private static IEnumerable<KeyValuePair<string, GgufValue>> Metadata(SynthSpec spec, int vocabSize)
    {
        var a = spec.Architecture;
        yield return new("general.architecture", GgufValue.Of(a));
        yield return new("general.name", GgufValue.Of(
            $"synthetic {a} {spec.EmbeddingLength}x{spec.Layers} {spec.WeightType} seed {spec.Seed}"));
        if (GgmlTypeInfo.BlockSize(spec.WeightType) > 1) yield return new("general.quantization_version", GgufValue.Of(2u));
        yield return new($"{a}.vocab_size", GgufValue.Of((uint)vocabSize));
        yield return new($"{a}.context_length", GgufValue.Of((uint)spec.ContextLength));
        yield return new($"{a}.embedding_length", GgufValue.Of((uint)spec.EmbeddingLength));
        yield return new($"{a}.block_count", GgufValue.Of((uint)spec.Layers));
        yield return new($"{a}.feed_forward_length", GgufValue.Of((uint)spec.FeedForwardLength));
        yield return new($"{a}.attention.head_count", GgufValue.Of((uint)spec.Heads));
        yield return new($"{a}.attention.head_count_kv", GgufValue.Of((uint)spec.KvHeadCount));
        yield return new($"{a}.attention.layer_norm_rms_epsilon", GgufValue.Of((float)spec.NormEpsilon));
        yield return new($"{a}.rope.freq_base", GgufValue.Of((float)spec.RopeBase));
        yield return new($"{a}.rope.dimension_count", GgufValue.Of((uint)spec.HeadDim));
        if (a == "qwen3")
        {
            yield return new($"{a}.attention.key_length", GgufValue.Of((uint)spec.HeadDim));
            yield return new($"{a}.attention.value_length", GgufValue.Of((uint)spec.HeadDim));
        }
    }

    /// <summary>
    /// Fills the tensor chunk by chunk. Each chunk has its own seed (model seed, tensor name, chunk index),
    /// so chunks are generated in parallel yet the file is the same for any thread count.
    /// </summary>
    private static void WriteTensor(SynthSpec spec, SynthTensor tensor, GgufWriter writer, Action reportProgress, CancellationToken cancellation)
    {
        var rowLength = (int)tensor.Dimensions[0];
        var rows = tensor.Dimensions.Skip(1).Aggregate(1L, (x, y) => x * y);
        var rowBytes = (int)GgmlTypeInfo.RowBytes(tensor.Type, rowLength);
        var rowsPerChunk = (int)Math.Max(1, Math.Min(rows, ChunkValues / rowLength));
        var chunkCount = (rows + rowsPerChunk - 1) / rowsPerChunk;
        var workers = Math.Max(1, Environment.ProcessorCount);
        var tensorSeed = SeededNormal.Combine(spec.Seed, SeededNormal.Hash(tensor.Name));
        // Norm weights scatter around 1 like a trained model's; weights and biases around 0.
        var mean = tensor.Role == SynthTensorRole.Norm ? 1f : 0f;
        var scale = spec.WeightScale;
        var values = new float[workers][];
        var encoded = new byte[workers][];
        var encodedLength = new int[workers];
        for (var w = 0; w < workers; w++)
        {
            values[w] = new float[rowsPerChunk * rowLength];
            encoded[w] = new byte[rowsPerChunk * rowBytes];
        }
        for (long first = 0; first < chunkCount; first += workers)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = (int)Math.Min(workers, chunkCount - first);
            Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellation }, w =>
            {
                var chunk = first + w;
                var chunkRows = (int)Math.Min(rowsPerChunk, rows - chunk * rowsPerChunk);
                var floats = values[w].AsSpan(0, chunkRows * rowLength);
                new SeededNormal(SeededNormal.Combine(tensorSeed, (ulong)chunk)).Fill(floats, mean, scale);
                for (var r = 0; r < chunkRows; r++)
                    Quantize.Row(tensor.Type, floats.Slice(r * rowLength, rowLength), encoded[w].AsSpan(r * rowBytes, rowBytes));
                encodedLength[w] = chunkRows * rowBytes;
            });
            for (var w = 0; w < batch; w++) writer.WriteTensorData(encoded[w].AsSpan(0, encodedLength[w]));
            reportProgress();
        }
    }
}
