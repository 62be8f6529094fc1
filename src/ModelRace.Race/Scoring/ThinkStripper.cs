using System.Text.RegularExpressions;

namespace ModelRace.Race.Scoring;

/// <summary>Removes reasoning blocks so only the final answer is scored.</summary>
public static partial class ThinkStripper
{
    public static string Strip(string text)
    {
        var stripped = ClosedBlock().Replace(text, "");
        // Some chat templates open the block in the prompt, so the reply holds only the closing tag.
        var orphanClose = stripped.IndexOf("</think>", StringComparison.OrdinalIgnoreCase);
        if (orphanClose >= 0) stripped = stripped[(orphanClose + "</think>".Length)..];
        // A reply cut off by the token limit inside its reasoning has no answer at all.
        var open = stripped.IndexOf("<think>", StringComparison.OrdinalIgnoreCase);
        if (open >= 0) stripped = stripped[..open];
        return stripped.Trim();
    }

    [GeneratedRegex(@"<think>.*?</think>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ClosedBlock();
}
