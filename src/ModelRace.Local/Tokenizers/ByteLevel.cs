namespace ModelRace.Local.Tokenizers;

/// <summary>
/// GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves and the other 68 bytes move to
/// U+0100 upwards, so every byte string becomes printable text that BPE can work on.
/// </summary>
internal static class ByteLevel
{
    public static readonly char[] ByteToChar = BuildTable();
    private static readonly Dictionary<char, byte> CharToByteMap = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    public static bool TryCharToByte(char c, out byte value) => CharToByteMap.TryGetValue(c, out value);
}
