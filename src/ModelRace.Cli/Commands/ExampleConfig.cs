namespace ModelRace.Cli.Commands;

/// <summary>The file `modelrace config init` writes. Keep it in step with docs/configuration.md.</summary>
internal static class ExampleConfig
{
    public const string Text = """
        # modelrace.yaml — endpoints that ModelRace can race and route to.
        # Keys never go in this file: each endpoint names the environment variable that holds its key.

        # SQLite database for races and gateway usage (overridden by --db or MODELRACE_DB).
        database: ./modelrace.db

        # Replies are cached on disk, keyed on endpoint, model, messages and options, so a repeated race costs nothing.
        # `modelrace chat --no-cache` skips it for one request.
        cache:
          enabled: true
          directory: ~/.modelrace/cache

        endpoints:
          # A preset fills in kind, base_url and api_key_env; you only pick models.
          - name: openai
            preset: openai                 # kind openai-compatible, https://api.openai.com/v1, OPENAI_API_KEY
            models:
              - name: gpt-4o-mini          # the name the provider expects
                card: gpt-4o-mini          # the catalog card that holds its prices (modelrace models)

          - name: deepseek
            preset: deepseek               # DEEPSEEK_API_KEY
            models:
              - { name: deepseek-chat, card: deepseek-v3 }

          - name: claude
            preset: anthropic              # ANTHROPIC_API_KEY
            models:
              - { name: claude-3-5-sonnet-20241022, card: claude-3.5-sonnet }

          - name: gemini
            preset: gemini                 # GEMINI_API_KEY
            models:
              - gemini-2.0-flash           # no catalog card yet: its cost shows as unknown until one is added

          # Ollama on this machine: no key, private by default. Other presets: dashscope, mistral, groq,
          # together, openrouter, vllm, llama.cpp, lm-studio (see docs/configuration.md).
          - name: ollama
            preset: ollama
            models:
              - { name: "llama3.1:8b", card: llama-3.1-8b-instruct }
            price: { input: 0, output: 0 }

          # A self-hosted server: deployment private means confidential data may go here.
          - name: vllm
            kind: openai-compatible
            base_url: http://localhost:8000/v1
            deployment: private            # private | external (presets of hosted APIs are external)
            models:
              - { name: Qwen/Qwen2.5-7B-Instruct, card: qwen2.5-7b-instruct }
            # Self-hosted models have no list price: give one, or make zero explicit.
            price: { input: 0, output: 0, currency: USD }
            limits:
              max_concurrency: 4
              rpm: 600                     # requests per minute
              tpm: 200000                  # tokens per minute
              timeout: 120s

          # The in-process runtime: a GGUF file on this machine, no server, no key.
          # - name: local
          #   kind: local
          #   models:
          #     - { name: qwen2.5-0.5b-instruct, path: ~/.cache/modelrace/qwen2.5-0.5b-instruct-q4_k_m.gguf }

        # Routes for `modelrace serve`: clients ask for the route name as their model (see docs/gateway.md).
        routes:
          - name: chat                     # try vllm first; on an error, timeout or 429 before any output, openai
            strategy: fallback
            timeout: 30s                   # per attempt, to the first byte and between stream chunks
            retries: 1                     # extra attempts across the targets
            targets: [vllm/Qwen/Qwen2.5-7B-Instruct, openai/gpt-4o-mini]
          - name: ab-test                  # 90/10 split; sticky keeps each `user` on one side
            strategy: weighted
            sticky: true
            targets:
              - { endpoint: openai, model: gpt-4o-mini, weight: 90 }
              - { endpoint: deepseek, model: deepseek-chat, weight: 10 }
          - name: cheap-enough             # cheapest target whose latest race score on the suite is at least 0.8
            strategy: cheapest-passing
            suite: gsm8k
            min_score: 0.8
            targets: [openai/gpt-4o-mini, deepseek/deepseek-chat, claude/claude-3-5-sonnet-20241022]
          - name: quick                    # lowest recent median latency
            strategy: fastest
            targets: [openai/gpt-4o-mini, deepseek/deepseek-chat]

        gateway:
          max_body_bytes: 4194304          # larger requests get 413
          usage_retention_days: 90         # usage rows older than this are deleted
          allow_direct: true               # clients may also ask for endpoint/model directly

        """;
}
