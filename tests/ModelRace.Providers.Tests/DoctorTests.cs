using ModelRace.Core.Endpoints;
using static ModelRace.Providers.Tests.Fixtures;
using static ModelRace.Providers.Tests.TestEndpoints;

namespace ModelRace.Providers.Tests;

public sealed class DoctorTests
{
    [Fact]
    public async Task Anthropic_is_probed_with_a_one_token_request()
    {
        await using var server = await FakeServer.StartAsync(200, AnthropicResponse);
        var endpoint = Endpoint(EndpointKind.Anthropic, server.Root, model: "claude-test", price: new PriceOverride(1, 1, null, "USD"));
        var findings = await new EndpointDoctor(Factory(endpoint)).CheckAllAsync(TestContext.Current.CancellationToken);
        var finding = Assert.Single(findings);
        Assert.Equal(DoctorStatus.Ok, finding.Status);
        Assert.Equal(1, Assert.Single(server.Requests).Json.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task A_gemini_key_rejection_is_explained_with_its_variable()
    {
        await using var server = await FakeServer.StartAsync(400, GeminiKeyInvalid);
        var endpoint = Endpoint(EndpointKind.Gemini, server.At("v1beta"), model: "gemini-test", price: new PriceOverride(1, 1, null, "USD"));
        var finding = Assert.Single(await new EndpointDoctor(Factory(endpoint)).CheckAllAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DoctorStatus.Problem, finding.Status);
        Assert.Contains(KeyVariable, finding.Advice);
        Assert.Contains("refused the key", finding.Advice);
    }

    [Fact]
    public async Task A_server_without_a_models_route_falls_back_to_a_probe()
    {
        await using var server = await FakeServer.StartAsync((context, r) => r.Path.EndsWith("/models", StringComparison.Ordinal)
            ? FakeServer.Reply(context, 404, "404 page not found", "text/plain")
            : FakeServer.Reply(context, 200, OpenAIResponse));
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), price: new PriceOverride(0, 0, null, "USD"));
        var finding = Assert.Single(await new EndpointDoctor(Factory(endpoint)).CheckAllAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DoctorStatus.Ok, finding.Status);
        Assert.Equal(["/v1/models", "/v1/chat/completions"], server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task A_rate_limited_key_is_a_warning_about_credit_not_a_failure()
    {
        await using var server = await FakeServer.StartAsync(429, OpenAIError429);
        var endpoint = Endpoint(EndpointKind.OpenAICompatible, server.At("v1/"), price: new PriceOverride(0, 0, null, "USD"));
        var finding = Assert.Single(await new EndpointDoctor(Factory(endpoint)).CheckAllAsync(TestContext.Current.CancellationToken));
        Assert.Equal(DoctorStatus.Warning, finding.Status);
        Assert.Contains("billing", finding.Advice);
    }
}
