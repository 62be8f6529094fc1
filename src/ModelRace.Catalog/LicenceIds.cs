namespace ModelRace.Catalog;

/// <summary>Licence ids a card may name without a warning: common SPDX ids plus the named model licences.</summary>
public static class LicenceIds
{
    // SPDX ids from spdx.org/licenses that model releases use.
    private static readonly HashSet<string> Spdx = new(StringComparer.OrdinalIgnoreCase)
    {
        "Apache-2.0", "MIT", "BSD-3-Clause", "BSD-2-Clause", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0", "CC-BY-NC-ND-4.0", "OpenRAIL", "CreativeML-OpenRAIL-M", "GPL-3.0-only", "AGPL-3.0-only",
        "LGPL-3.0-only", "MPL-2.0", "Unlicense", "CC0-1.0",
    };

    // Vendor licences that have no SPDX id; the id is the name vendors and Hugging Face use.
    private static readonly HashSet<string> Named = new(StringComparer.OrdinalIgnoreCase)
    {
        "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma", "qwen", "tongyi-qianwen",
        "qwen-research", "falcon-180b-tii", "tii-falcon", "deepseek", "deepseek-model", "baichuan2",
        "chatglm-6b", "glm-4", "mistral-research", "mnpl", "phi", "proprietary",
    };

    public static bool IsKnown(string id) => Spdx.Contains(id) || Named.Contains(id);
}
