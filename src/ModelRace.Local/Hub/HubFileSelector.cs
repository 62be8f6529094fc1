namespace ModelRace.Local.Hub;

/// <summary>Picks the one GGUF a spec means out of a repository's file list.</summary>
public static class HubFileSelector
{
    public static HubFile Select(HubModelSpec spec, IReadOnlyList<HubFile> files)
    {
        var ggufs = files.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)).ToList();
        var available = ggufs.Count == 0 ? "it has no .gguf files" : "available: " + string.Join(", ", ggufs.Select(f => f.Path));
        if (spec.File is { } wanted)
        {
            return ggufs.Concat(files).FirstOrDefault(f => f.Path == wanted)
                   ?? ggufs.FirstOrDefault(f => string.Equals(f.Path, wanted, StringComparison.OrdinalIgnoreCase))
                   ?? throw new HubException(HubErrorKind.NoMatchingFile, $"{spec.Repo} has no file '{wanted}'; {available}");
        }
        if (spec.Quant is not { } quant)
        {
            return ggufs.Count == 1 ? ggufs[0] : throw new HubException(ggufs.Count == 0 ? HubErrorKind.NoMatchingFile : HubErrorKind.AmbiguousFile,
                ggufs.Count == 0 ? $"{spec.Repo} has no .gguf files; ModelRace runs GGUF models" : $"{spec.Repo} has several GGUF files; name one with {spec.Repo}:QUANT or :FILE; {available}");
        }
        var matches = ggufs.Where(f => FileName(f).Contains(quant, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count > 1)
        {
            // "Q4_K" also occurs inside "q4_k_m"; a match bounded by separators is the one meant.
            var exact = matches.Where(f => IsBoundedMatch(FileName(f), quant)).ToList();
            if (exact.Count == 1) matches = exact;
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new HubException(HubErrorKind.NoMatchingFile, $"{spec.Repo} has no GGUF file matching '{quant}'; {available}"),
            _ => throw new HubException(HubErrorKind.AmbiguousFile,
                $"'{quant}' matches several files in {spec.Repo}: {string.Join(", ", matches.Select(f => f.Path))}; name one exactly with {spec.Repo}:FILE"),
        };
    }

    private static string FileName(HubFile file) => file.Path[(file.Path.LastIndexOf('/') + 1)..];

    private static bool IsBoundedMatch(string name, string quant)
    {
        for (var i = name.IndexOf(quant, StringComparison.OrdinalIgnoreCase); i >= 0; i = name.IndexOf(quant, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            var before = i == 0 ? '-' : name[i - 1];
            var after = i + quant.Length >= name.Length ? '.' : name[i + quant.Length];
            if (!char.IsLetterOrDigit(before) && before != '_' && !char.IsLetterOrDigit(after) && after != '_') return true;
        }
        return false;
    }
}
