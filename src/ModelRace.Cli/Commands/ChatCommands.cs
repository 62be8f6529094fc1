using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using ModelRace.Core.Endpoints;
using ModelRace.Providers;
using ModelRace.Providers.Config;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace chat --endpoint NAME "prompt"`: streams one reply, then its tokens, latency and cost.</summary>
internal static class ChatCommands
{
    public static Command Create(CliContext context)
    {
        var prompt = new Argument<string>("prompt") { Description = "What to ask the model." };
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = "The endpoint's name in modelrace.yaml (may be left out when there is only one)." };
        var model = new Option<string?>("--model", "-m") { Description = "One of the endpoint's models (default: its first)." };
        var system = new Option<string?>("--system") { Description = "A system message to send before the prompt." };
        var temperature = new Option<float?>("--temperature") { Description = "Sampling temperature." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "The most tokens the reply may have." };
        var noCache = new Option<bool>("--no-cache") { Description = "Always ask the endpoint, even if this exact request was answered before." };
        var config = EndpointSetup.ConfigOption();
        var json = CommonOptions.Json();
        var catalogDirs = CommonOptions.CatalogDirs();

        var command = new Command("chat", "Send one prompt to a configured endpoint, stream the reply, and show tokens, latency and cost.")
        {
            prompt, endpoint, model, system, temperature, maxTokens, noCache, config, json, catalogDirs,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = EndpointSetup.LoadConfig(context, parse.GetValue(config));
            var catalog = CommonOptions.LoadCatalog(context, parse.GetValue(catalogDirs));
            var factory = EndpointSetup.Factory(context, settings, catalog);
            var target = ChooseEndpoint(settings, parse.GetValue(endpoint));
            var messages = new List<ChatMessage>();
            if (parse.GetValue(system) is { Length: > 0 } s) messages.Add(new ChatMessage(ChatRole.System, s));
            messages.Add(new ChatMessage(ChatRole.User, parse.GetValue(prompt)!));
            var options = new ChatOptions { Temperature = parse.GetValue(temperature), MaxOutputTokens = parse.GetValue(maxTokens) };

            try
            {
                var endpointConfig = factory.Endpoint(target);
                var modelConfig = factory.Model(endpointConfig, parse.GetValue(model));
                using var client = factory.Create(endpointConfig, modelConfig, useCache: !parse.GetValue(noCache));
                var updates = new List<ChatResponseUpdate>();
                await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken))
                {
                    updates.Add(update);
                    if (!parse.GetValue(json) && update.Text is { Length: > 0 } text) context.Console.Write(new Text(text));
                }
                var response = updates.ToChatResponse();
                var summary = Summary.Of(endpointConfig, modelConfig, response, updates);
                if (parse.GetValue(json)) CommonOptions.WriteJson(context, summary);
                else
                {
                    context.Console.WriteLine();
                    context.Console.MarkupLine($"[grey]{Markup.Escape(summary.Describe())}[/]");
                }
                return 0;
            }
            catch (Exception e) when (e is EndpointException or ConfigException)
            {
                throw new CliException(e.Message);
            }
        });
        return command;
    }

    private static string ChooseEndpoint(ModelRaceConfig config, string? wanted) => wanted switch
    {
        { Length: > 0 } => wanted,
        _ when config.Endpoints.Count == 1 => config.Endpoints[0].Name,
        _ => throw new CliException($"pass --endpoint NAME; {config.SourcePath} configures: {string.Join(", ", config.Endpoints.Select(e => e.Name))}"),
    };

    internal sealed record Summary(
        string Endpoint, string Model, string Text, string? FinishReason,
        long? InputTokens, long? CachedInputTokens, long? OutputTokens,
        double? TimeToFirstTokenMs, double? TotalMs, decimal? Cost, string? Currency, string? CostUnknownReason, bool Cached)
    {
        public static Summary Of(EndpointConfig endpoint, EndpointModel model, ChatResponse response, IReadOnlyList<ChatResponseUpdate> updates)
        {
            var timing = updates.GetTiming();
            var cost = updates.GetCost();
            return new Summary(endpoint.Name, model.Name, response.Text, response.FinishReason?.Value,
                response.Usage?.InputTokenCount, response.Usage?.CachedInputTokenCount, response.Usage?.OutputTokenCount,
                timing?.TimeToFirstToken?.TotalMilliseconds, timing?.Total.TotalMilliseconds,
                cost?.Amount, cost?.Currency, cost?.UnknownReason, updates.Any(u => u.IsFromCache()));
        }

        public string Describe()
        {
            static string N(long? n) => n?.ToString("N0", CultureInfo.InvariantCulture) ?? "?";
            static string Ms(double? ms) => ms is { } v ? $"{v.ToString("0", CultureInfo.InvariantCulture)} ms" : "n/a";
            var tokens = $"tokens: {N(InputTokens)} in{(CachedInputTokens is > 0 ? $" ({N(CachedInputTokens)} cached)" : "")}, {N(OutputTokens)} out";
            var latency = $"latency: first token {Ms(TimeToFirstTokenMs)}, total {Ms(TotalMs)}";
            var cost = Cost is { } amount
                ? $"cost: {FormatMoney(amount, Currency ?? "USD")}{(Cached ? " (served from the cache)" : "")}"
                : $"cost: unknown ({CostUnknownReason})";
            return $"{Endpoint}/{Model} · {tokens} · {latency} · {cost}";
        }
    }

    public static string FormatMoney(decimal amount, string currency) =>
        currency == "USD" ? $"${amount.ToString("0.######", CultureInfo.InvariantCulture)}" : $"{amount.ToString("0.######", CultureInfo.InvariantCulture)} {currency}";
}
