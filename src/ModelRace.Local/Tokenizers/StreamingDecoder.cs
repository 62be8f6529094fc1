using System.Text;

namespace ModelRace.Local.Tokenizers;

/// <summary>
/// Turns tokens into text one at a time without ever splitting a character: bytes of an unfinished UTF-8
/// sequence (byte-fallback tokens, byte-level pieces) are held back until the sequence completes.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly ITokenizer _tokenizer;
    private readonly bool _includeSpecial;
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private readonly char[] _chars = new char[256];

    public StreamingDecoder(ITokenizer tokenizer, bool includeSpecial = false)
    {
        _tokenizer = tokenizer;
        _includeSpecial = includeSpecial;
    }

    /// <summary>The text completed by this token; empty while a character is still incomplete.</summary>
    public string Push(int tokenId) => Convert(_tokenizer.TokenBytes(tokenId, _includeSpecial), flush: false);

    /// <summary>Whatever is held back, with an incomplete sequence shown as U+FFFD; call once the stream ends.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(byte[] bytes, bool flush)
    {
        var builder = new StringBuilder();
        var offset = 0;
        do
        {
            _utf8.Convert(bytes, offset, bytes.Length - offset, _chars, 0, _chars.Length, flush, out var used, out var produced, out var completed);
            builder.Append(_chars, 0, produced);
            offset += used;
            if (completed) break;
        } while (true);
        return builder.ToString();
    }
}
