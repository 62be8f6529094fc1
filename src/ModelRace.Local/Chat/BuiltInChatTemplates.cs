namespace ModelRace.Local.Chat;

/// <summary>
/// Fallback templates for GGUF files that carry no tokenizer.chat_template, one per prompt format family.
/// Each is written from its format's documented layout; where a format has no system role (Gemma, Mistral v1)
/// the system text is put before the first user turn rather than rejected, since a race always sends one.
/// </summary>
public static class BuiltInChatTemplates
{
    public const string ChatMl = """
        {%- for message in messages -%}
        {{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' -}}
        {%- endfor -%}
        {%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}
        """;

    public const string Llama2 = """
        {%- if messages and messages[0]['role'] == 'system' -%}
        {%- set system = messages[0]['content'] -%}{%- set turns = messages[1:] -%}
        {%- else -%}
        {%- set system = none -%}{%- set turns = messages -%}
        {%- endif -%}
        {%- for message in turns -%}
        {%- if message['role'] == 'user' -%}
        {%- set text = message['content'] -%}
        {%- if loop.first and system is not none -%}{%- set text = '<<SYS>>\n' + system + '\n<</SYS>>\n\n' + text -%}{%- endif -%}
        {{- bos_token + '[INST] ' + text.strip() + ' [/INST]' -}}
        {%- elif message['role'] == 'assistant' -%}
        {{- ' ' + message['content'].strip() + ' ' + eos_token -}}
        {%- endif -%}
        {%- endfor -%}
        """;

    public const string Llama3 = """
        {{- bos_token -}}
        {%- for message in messages -%}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' -}}
        {%- endfor -%}
        {%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}{%- endif -%}
        """;

    public const string Mistral = """
        {{- bos_token -}}
        {%- set ns = namespace(system='') -%}
        {%- for message in messages -%}
        {%- if message['role'] == 'system' -%}{%- set ns.system = message['content'] + '\n\n' -%}
        {%- elif message['role'] == 'user' -%}{{- '[INST] ' + ns.system + message['content'] + ' [/INST]' -}}{%- set ns.system = '' -%}
        {%- elif message['role'] == 'assistant' -%}{{- message['content'] + eos_token -}}
        {%- endif -%}
        {%- endfor -%}
        """;

    public const string Gemma = """
        {{- bos_token -}}
        {%- set ns = namespace(system='') -%}
        {%- for message in messages -%}
        {%- if message['role'] == 'system' -%}{%- set ns.system = message['content'] | trim + '\n\n' -%}
        {%- else -%}
        {%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}
        {{- '<start_of_turn>' + role + '\n' + ns.system + message['content'] | trim + '<end_of_turn>\n' -}}
        {%- set ns.system = '' -%}
        {%- endif -%}
        {%- endfor -%}
        {%- if add_generation_prompt -%}{{- '<start_of_turn>model\n' -}}{%- endif -%}
        """;

    public const string Phi3 = """
        {%- for message in messages -%}
        {{- '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' -}}
        {%- endfor -%}
        {%- if add_generation_prompt -%}{{- '<|assistant|>\n' -}}{%- endif -%}
        """;

    public static IReadOnlyDictionary<string, string> All { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["chatml"] = ChatMl,
        ["llama2"] = Llama2,
        ["llama3"] = Llama3,
        ["mistral"] = Mistral,
        ["gemma"] = Gemma,
        ["phi3"] = Phi3,
    };

    /// <summary>The format a model of this architecture most likely expects when its file names none.</summary>
    public static string NameForArchitecture(string? architecture, bool vocabularyHasLlama3Headers) => architecture?.ToLowerInvariant() switch
    {
        "llama" => vocabularyHasLlama3Headers ? "llama3" : "llama2",
        "qwen2" or "qwen3" or "qwen2moe" or "qwen3moe" => "chatml",
        "gemma" or "gemma2" or "gemma3" => "gemma",
        "phi3" => "phi3",
        _ => "chatml",
    };
}
