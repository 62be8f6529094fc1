using System.Buffers.Binary;
using ModelRace.Local.Gguf;
using ModelRace.Local.Tensors;

namespace ModelRace.Local.Tests;

/// <summary>Hand-assembled blocks, decoded by the layouts in ggml-common.h, pin each byte's meaning.</summary>
public class QuantLayoutTests
{
    private static float[] Decode(GgmlType type, byte[] block)
    {
        var values = new float[GgmlTypeInfo.BlockSize(type)];
        Dequantize.Row(type, block, values);
        return values;
    }

    private static void Half(byte[] block, int offset, float value) => BinaryPrimitives.WriteHalfLittleEndian(block.AsSpan(offset), (Half)value);

    [Fact]
    public void Q8_0_is_a_half_scale_then_32_signed_bytes()
    {
        var block = new byte[34];
        Half(block, 0, 0.25f);
        block[2 + 3] = unchecked((byte)-4);
        block[2 + 31] = 127;
        var v = Decode(GgmlType.Q8_0, block);
        Assert.Equal(-1f, v[3]);
        Assert.Equal(31.75f, v[31]);
        Assert.Equal(0f, v[0]);
    }

    [Fact]
    public void Q4_0_low_nibbles_are_the_first_16_values_and_high_nibbles_the_last()
    {
        var block = new byte[18];
        Half(block, 0, 1f);
        block[2] = 0xA3;
        block[2 + 15] = 0x0F;
        var v = Decode(GgmlType.Q4_0, block);
        Assert.Equal(3 - 8, v[0]);
        Assert.Equal(10 - 8, v[16]);
        Assert.Equal(15 - 8, v[15]);
        Assert.Equal(0 - 8, v[31]);
    }

    [Fact]
    public void Q5_0_takes_the_fifth_bit_from_a_32_bit_mask()
    {
        var block = new byte[22];
        Half(block, 0, 0.5f);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(2), (1u << 0) | (1u << 16) | (1u << 31));
        block[6] = 0x21;
        var v = Decode(GgmlType.Q5_0, block);
        Assert.Equal(((1 | 16) - 16) * 0.5f, v[0]);
        Assert.Equal(((2 | 16) - 16) * 0.5f, v[16]);
        Assert.Equal((16 - 16) * 0.5f, v[31]);
        Assert.Equal(-16 * 0.5f, v[1]);
    }

    [Fact]
    public void Q4_K_packs_six_bit_scales_and_mins_for_eight_sub_blocks()
    {
        var block = new byte[144];
        Half(block, 0, 1f);
        Half(block, 2, 0.5f);
        var scales = block.AsSpan(4, 12);
        // Sub-block 1: scale 9, min 4, stored whole in bytes 1 and 5.
        scales[1] = 9;
        scales[5] = 4;
        // Sub-block 5: scale 37 = 0b10_0101, min 19 = 0b01_0011; low nibbles in byte 9, top bits in bytes 1 and 5.
        scales[9] = 0x35;
        scales[1] |= 2 << 6;
        scales[5] |= 1 << 6;
        var qs = block.AsSpan(16);
        qs[0] = 0x70; // value 0 (sub-block 0, low nibble) = 0, value 32 (sub-block 1, high nibble) = 7
        qs[64] = 0x70; // 64-value chunk 2: value 128 low nibble 0, value 160 (sub-block 5) high nibble 7
        var v = Decode(GgmlType.Q4_K, block);
        Assert.Equal(1f * 9 * 7 - 0.5f * 4, v[32]);
        Assert.Equal(1f * 37 * 7 - 0.5f * 19, v[160]);
        Assert.Equal(0f, v[0]);
    }

    [Fact]
    public void Q5_K_adds_a_fifth_bit_per_value_from_qh()
    {
        var block = new byte[176];
        Half(block, 0, 1f);
        Half(block, 2, 1f);
        var scales = block.AsSpan(4, 12);
        for (var j = 0; j < 4; j++) scales[j] = 1; // sub-blocks 0..3: scale 1, min 0
        scales[8] = 0x01; // sub-block 4: scale 1
        var qh = block.AsSpan(16, 32);
        qh[2] = 0b0000_0001 | 0b0001_0000; // value 2: bit 0 (chunk 0 low); value 130: bit 4 (chunk 2 low)
        var qs = block.AsSpan(48);
        qs[2] = 0x03;
        qs[64 + 2] = 0x05;
        var v = Decode(GgmlType.Q5_K, block);
        Assert.Equal(16 + 3, v[2]);
        Assert.Equal(16 + 5, v[130]);
        Assert.Equal(0f, v[34]);
    }

    [Fact]
    public void Q6_K_stores_low_nibbles_high_pairs_signed_scales_then_the_scale()
    {
        var block = new byte[210];
        Half(block, 208, 0.5f);
        var scales = block.AsSpan(192, 16);
        scales[0] = 2;
        scales[6] = unchecked((byte)-3);
        scales[8 + 1] = 4;
        var ql = block.AsSpan(0, 128);
        var qh = block.AsSpan(128, 64);
        ql[0] = 0x5A; // value 0 low nibble 0xA, value 64 low nibble 5
        qh[0] = 0b10_00_00_01; // value 0 high pair 1, value 96 high pair 2
        ql[32] = 0x70; // value 96 low nibble 7
        ql[64 + 16] = 0x0C; // second half: value 128 + 16 low nibble 12 (scale index 8 + 1)
        var v = Decode(GgmlType.Q6_K, block);
        Assert.Equal(0.5f * 2 * ((0xA | (1 << 4)) - 32), v[0]);
        Assert.Equal(0.5f * -3 * ((7 | (2 << 4)) - 32), v[96]);
        Assert.Equal(0.5f * 4 * (12 - 32), v[144]);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Requantizing_dequantized_values_is_nearly_stable(GgmlType type)
    {
        // Values already on a type's grid should come back almost unchanged through a second round.
        var random = new Random(7);
        var values = Enumerable.Range(0, 1024).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var bytes = new byte[GgmlTypeInfo.RowBytes(type, values.Length)];
        Quantize.Row(type, values, bytes);
        var once = new float[values.Length];
        Dequantize.Row(type, bytes, once);
        Quantize.Row(type, once, bytes);
        var twice = new float[values.Length];
        Dequantize.Row(type, bytes, twice);
        Assert.True(QuantRoundTripTests.RelativeRms(once, twice) < 0.02, type.ToString());
    }
}
