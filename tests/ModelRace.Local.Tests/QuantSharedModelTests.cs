using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

/// <summary>
/// Each quantized tiny model in shared/ was made by llama.cpp from the same random weights as its F16 sibling,
/// so dequantizing it must land close to the F16 values, and quantizing the F16 values ourselves must give
/// mostly the same bytes as llama.cpp wrote.
/// </summary>
public class QuantSharedModelTests
{
    /// <summary>File, its F16 sibling, the worst relative RMS error allowed per tensor, and the share of bytes we must reproduce.</summary>
    public static TheoryData<string, string, double, double> Files => new()
    {
        { "tiny-llama-spm-q8_0.gguf", "tiny-llama-spm-f16.gguf", 0.008, 0.95 },
        { "tiny-llama-spm-q4_0.gguf", "tiny-llama-spm-f16.gguf", 0.10, 0.95 },
        { "tiny-llama-spm-q4_k.gguf", "tiny-llama-spm-f16.gguf", 0.085, 0.75 },
        { "tiny-llama-spm-q6_k.gguf", "tiny-llama-spm-f16.gguf", 0.025, 0.90 },
        { "tiny-qwen2-bpe-q8_0.gguf", "tiny-qwen2-bpe-f16.gguf", 0.008, 0.95 },
        { "tiny-qwen2-bpe-q4_k.gguf", "tiny-qwen2-bpe-f16.gguf", 0.085, 0.75 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Dequantized_tensors_match_the_f16_sibling_and_our_quantizer_matches_llama_cpp(string quantized, string reference, double bound, double byteAgreement)
    {
        var dir = SharedData.RequireDirectory("gguf/models");
        using var q = GgufFile.Open(Path.Combine(dir, quantized));
        using var f16 = GgufFile.Open(Path.Combine(dir, reference));
        var quantizedTensors = 0;
        foreach (var tensor in q.Tensors)
        {
            var sibling = f16.GetTensor(tensor.Name);
            Assert.Equal(sibling.Dimensions, tensor.Dimensions);
            var expected = new float[sibling.ElementCount];
            var actual = new float[tensor.ElementCount];
            Dequantize.Tensor(f16, sibling, expected);
            Dequantize.Tensor(q, tensor, actual);
            var error = QuantRoundTripTests.RelativeRms(expected, actual);
            Assert.True(error <= bound, $"{quantized} {tensor.Name} ({tensor.Type}): relative RMS error {error:F5} exceeds {bound}");
            if (tensor.Type is GgmlType.F32 or GgmlType.F16) continue;
            quantizedTensors++;
            // Re-quantizing the 8M-value embedding and output matrices would add little but time.
            if (tensor.Name is "token_embd.weight" or "output.weight") continue;

            var rowBytes = (int)GgmlTypeInfo.RowBytes(tensor.Type, tensor.RowLength);
            var ours = new byte[rowBytes * tensor.RowCount];
            for (var r = 0; r < tensor.RowCount; r++)
                Quantize.Row(tensor.Type, expected.AsSpan(r * (int)tensor.RowLength, (int)tensor.RowLength), ours.AsSpan(r * rowBytes, rowBytes));
            var theirs = q.TensorData(tensor);
            var same = 0;
            for (var i = 0; i < ours.Length; i++) if (ours[i] == theirs[i]) same++;
            // Not all bytes: llama.cpp quantized from the F32 originals, we from the F16 copies, and k-quant scale searches differ.
            Assert.True(same >= byteAgreement * ours.Length,
                $"{quantized} {tensor.Name}: only {same} of {ours.Length} bytes agree with llama.cpp's; the block layout is probably wrong");
        }
        Assert.True(quantizedTensors >= 15, $"{quantized}: expected the 2-D weights to be quantized, found {quantizedTensors}");
    }
}
