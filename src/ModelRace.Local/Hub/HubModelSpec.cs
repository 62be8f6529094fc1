using System.Text.RegularExpressions;

namespace ModelRace.Local.Hub;

/// <summary>
/// Which GGUF to take from which hub repository: <c>owner/name:Q4_K_M</c> (a quantization, matched against file
/// names), <c>owner/name:file.gguf</c> or <c>owner/name/dir/file.gguf</c> (an exact file), optionally prefixed <c>hf:</c>.
/// </summary>
public sealed partial record HubModelSpec(string Repo, string? File, string? Quant, string Revision = "main")
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex RepoPattern();

    public static bool TryParse(string spec, out HubModelSpec? parsed)
    {
        parsed = null;
        var text = spec.StartsWith("hf:", StringComparison.OrdinalIgnoreCase) ? spec[3..] : spec;
        string? selector = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            selector = text[(colon + 1)..];
            text = text[..colon];
            if (selector.Length == 0) return false;
        }
        var parts = text.Split('/');
        if (parts.Length < 2) return false;
        var repo = parts[0] + "/" + parts[1];
        if (!RepoPattern().IsMatch(repo)) return false;
        if (parts.Length > 2)
        {
            if (selector is not null || parts.Skip(2).Any(p => p.Length == 0 || p == "..")) return false;
            parsed = new HubModelSpec(repo, string.Join('/', parts.Skip(2)), null);
            return true;
        }
        if (selector is not null && (selector.Contains("..", StringComparison.Ordinal) || selector.StartsWith('/'))) return false;
        parsed = selector is null ? new HubModelSpec(repo, null, null)
            : selector.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? new HubModelSpec(repo, selector, null)
            : new HubModelSpec(repo, null, selector);
        return true;
    }

    /// <exception cref="HubException">The text is not a hub model spec.</exception>
    public static HubModelSpec Parse(string spec) => TryParse(spec, out var parsed) ? parsed! : throw new HubException(HubErrorKind.BadSpec,
        $"'{spec}' is not a hub model: expected owner/repo:QUANT (e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M), owner/repo:file.gguf or a local .gguf path");

    public override string ToString() => Repo + (File is not null ? ":" + File : Quant is not null ? ":" + Quant : "");
}
