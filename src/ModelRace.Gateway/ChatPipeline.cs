using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelRace.Core.Endpoints;
using ModelRace.Gateway.Keys;
using ModelRace.Gateway.Routing;
using ModelRace.Gateway.Usage;
using ModelRace.Gateway.Wire;
using ModelRace.Providers;

namespace ModelRace.Gateway;

/// <summary>
/// One chat request from arrival to usage row: auth, parse, data policy, route plan, budget hold, attempts with
/// fallback, the reply in the client's wire format, then settle the hold, record usage and metrics.
/// </summary>
public sealed class ChatPipeline(GatewayRuntime runtime)
{
    public const string DataClassHeader = "X-ModelRace-Data-Class";
    private const long DefaultMaxOutputTokens = 1024;

    private sealed class Outcome
    {
        public int Status = 200;
        public string? Route, Endpoint, Model, Error;
        public int Attempts;
        public UsageDetails? Usage;
        public decimal? Cost;
        public string? Currency;
    }

    public async Task HandleAsync(HttpContext http, IChatWire wire)
    {
        var clock = Stopwatch.StartNew();
        var outcome = new Outcome();
        var snapshot = runtime.Watcher.Current;
        GatewayKey? key = null;
        var dataClass = DataClass.General;
        Reservation? hold = null;
        try
        {
            key = runtime.Authenticate(http.Request);
            dataClass = DataClassOf(http.Request, key);
            var request = await ReadRequestAsync(http, wire, snapshot.Config.Settings.MaxBodyBytes);
            outcome.Route = request.Model;
            if (key is not null && !key.Allows(request.Model))
                throw new GatewayRequestException(403, "permission_error", "model_not_allowed", $"key '{key.Name}' may not use '{request.Model}'", "model");
            var plan = runtime.Router.Plan(snapshot.Config, snapshot.Registry, request, dataClass);
            outcome.Route = plan.RouteName;

            var (inputTokens, outputTokens) = request.EstimateTokens(DefaultMaxOutputTokens);
            var estimate = plan.Candidates.Max(u => u.EstimateCost(inputTokens, outputTokens));
            var (reservation, refusal) = runtime.Budgets.TryReserve(key, estimate, inputTokens + outputTokens);
            if (refusal is not null) throw new GatewayRequestException(429, "rate_limit_exceeded", "budget_or_rate_limit", refusal);
            hold = reservation;

            var call = wire.NewCall(request);
            if (request.Stream) await StreamAsync(http, wire, request, plan, call, outcome);
            else await RespondAsync(http, wire, request, plan, call, outcome);
        }
        catch (GatewayRequestException e)
        {
            outcome.Status = e.Status;
            outcome.Error = e.Message;
            if (!http.Response.HasStarted) await wire.WriteErrorAsync(http.Response, e.Status, e.Type, e.Code, e.Message, e.Param);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            outcome.Status = 499;
            outcome.Error = "the client disconnected";
        }
        catch (Exception e)
        {
            // A bug or an unforeseen upstream failure: the client gets a 500 in its own wire format, the log the details.
            outcome.Status = 500;
            outcome.Error = $"{e.GetType().Name}: {e.Message}";
            runtime.Logger.LogError(e, "request {RequestId} failed unexpectedly", http.TraceIdentifier);
            if (!http.Response.HasStarted) await wire.WriteErrorAsync(http.Response, 500, "server_error", "internal_error", $"the gateway failed unexpectedly: {e.Message}");
        }
        finally
        {
            if (http.RequestAborted.IsCancellationRequested && outcome.Status == 200 && outcome.Error is not null) outcome.Status = 499;
            var cost = outcome.Cost ?? 0m;
            var tokens = (outcome.Usage?.InputTokenCount ?? 0) + (outcome.Usage?.OutputTokenCount ?? 0);
            // An upstream that answered without reporting usage is charged the hold, never $0.
            if (hold is not null) runtime.Budgets.Settle(hold, outcome.Cost ?? (outcome.Endpoint is null ? 0m : hold.Cost), tokens);
            var elapsed = clock.Elapsed;
            runtime.Usage.Record(new UsageRecord
            {
                At = DateTimeOffset.UtcNow, RequestId = http.TraceIdentifier, KeyId = key?.Id, Route = outcome.Route, Endpoint = outcome.Endpoint,
                Model = outcome.Model, FallbackAttempts = Math.Max(0, outcome.Attempts - 1), InputTokens = outcome.Usage?.InputTokenCount,
                OutputTokens = outcome.Usage?.OutputTokenCount, CachedTokens = outcome.Usage?.CachedInputTokenCount, Cost = outcome.Cost,
                Currency = outcome.Currency, LatencyMs = elapsed.TotalMilliseconds, StatusCode = outcome.Status,
                DataClass = KeyStore.DataClassName(dataClass), Error = outcome.Error,
            });
            runtime.Metrics.Observe(outcome.Route ?? "", outcome.Endpoint ?? "", outcome.Status, elapsed.TotalSeconds,
                outcome.Usage?.InputTokenCount ?? 0, outcome.Usage?.OutputTokenCount ?? 0, cost);
        }
    }

    private static DataClass DataClassOf(HttpRequest request, GatewayKey? key)
    {
        var header = request.Headers[DataClassHeader].ToString();
        var asked = header.Length == 0 ? DataClass.General : KeyStore.ParseDataClass(header)
            ?? throw GatewayRequestException.Invalid($"{DataClassHeader} must be 'confidential' or 'general', not '{header}'");
        // A key whose default is confidential cannot be downgraded by a header.
        return asked == DataClass.Confidential || key?.DefaultDataClass == DataClass.Confidential ? DataClass.Confidential : DataClass.General;
    }

    private static async Task<ChatRequest> ReadRequestAsync(HttpContext http, IChatWire wire, long maxBody)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBody;
        if (http.Request.ContentLength > maxBody)
            throw new GatewayRequestException(413, "invalid_request_error", "request_too_large", $"the request body is larger than the gateway's limit of {maxBody} bytes (gateway.max_body_bytes)");
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
            return wire.Parse(document.RootElement);
        }
        catch (JsonException e)
        {
            throw GatewayRequestException.Invalid($"the request body is not valid JSON: {e.Message}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413)
        {
            throw new GatewayRequestException(413, "invalid_request_error", "request_too_large", $"the request body is larger than the gateway's limit of {maxBody} bytes (gateway.max_body_bytes)");
        }
    }

    /// <summary>The upstream that attempt <paramref name="attempt"/> goes to (the candidates in turn), noted in the outcome.</summary>
    private static Upstream StartAttempt(RoutePlan plan, int attempt, Outcome outcome)
    {
        var upstream = plan.Candidates[attempt % plan.Candidates.Count];
        outcome.Attempts = attempt + 1;
        outcome.Endpoint = upstream.Endpoint;
        outcome.Model = upstream.Model;
        return upstream;
    }

    /// <summary>Cancelled when the client goes away or the route's timeout passes.</summary>
    private static CancellationTokenSource AttemptTimeout(HttpContext http, RoutePlan plan)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(plan.Timeout);
        return timeout;
    }

    private async Task RespondAsync(HttpContext http, IChatWire wire, ChatRequest request, RoutePlan plan, ChatCall call, Outcome outcome)
    {
        var failures = new List<string>();
        var lastKind = EndpointErrorKind.ServerError;
        for (var attempt = 0; attempt < plan.MaxAttempts; attempt++)
        {
            var upstream = StartAttempt(plan, attempt, outcome);
            using var timeout = AttemptTimeout(http, plan);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var response = await upstream.Client.GetResponseAsync(request.Messages, OptionsFor(request, upstream), timeout.Token);
                runtime.Latencies.Record(upstream.Id, Stopwatch.GetElapsedTime(started));
                outcome.Usage = response.Usage;
                (outcome.Cost, outcome.Currency) = CostOf(response.GetCost(), upstream);
                SetRouteHeaders(http.Response, plan, upstream, attempt);
                await wire.WriteResponseAsync(http.Response, call, response.Text, response.FinishReason, response.Usage);
                return;
            }
            catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
            {
                if (Classify(e, upstream, plan, failures) is { } fatal) throw fatal;
                lastKind = KindOf(e);
            }
            catch (OperationCanceledException)
            {
                outcome.Status = 499;
                outcome.Error = "the client disconnected";
                return;
            }
        }
        throw Exhausted(plan, failures, lastKind);
    }

    private async Task StreamAsync(HttpContext http, IChatWire wire, ChatRequest request, RoutePlan plan, ChatCall call, Outcome outcome)
    {
        var failures = new List<string>();
        var lastKind = EndpointErrorKind.ServerError;
        for (var attempt = 0; attempt < plan.MaxAttempts; attempt++)
        {
            var upstream = StartAttempt(plan, attempt, outcome);
            using var timeout = AttemptTimeout(http, plan);
            var started = Stopwatch.GetTimestamp();
            var stream = upstream.Client.GetStreamingResponseAsync(request.Messages, OptionsFor(request, upstream), timeout.Token).GetAsyncEnumerator(timeout.Token);
            var committed = false;
            UsageDetails? usage = null;
            ChatFinishReason? finish = null;
            ResponseCost? cost = null;
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await stream.MoveNextAsync();
                    }
                    catch (Exception e) when (!http.RequestAborted.IsCancellationRequested && !committed)
                    {
                        // Nothing has reached the client yet, so the next target may still answer cleanly.
                        if (Classify(e, upstream, plan, failures) is { } fatal) throw fatal;
                        lastKind = KindOf(e);
                        break;
                    }
                    catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
                    {
                        var message = $"the reply from {upstream.Id} broke off after it had begun: {Describe(e, plan)}; the partial reply must not be trusted";
                        await wire.WriteStreamErrorAsync(http.Response, call, message);
                        outcome.Status = 502;
                        outcome.Error = message;
                        return;
                    }
                    if (!more)
                    {
                        runtime.Latencies.Record(upstream.Id, Stopwatch.GetElapsedTime(started));
                        outcome.Usage = usage;
                        (outcome.Cost, outcome.Currency) = CostOf(cost, upstream);
                        if (!committed)
                        {
                            SetRouteHeaders(http.Response, plan, upstream, attempt);
                            await wire.BeginStreamAsync(http.Response, call);
                        }
                        await wire.EndStreamAsync(http.Response, call, finish, usage);
                        return;
                    }
                    var update = stream.Current;
                    timeout.CancelAfter(plan.Timeout);
                    foreach (var content in update.Contents)
                    {
                        if (content is UsageContent u) (usage ??= new UsageDetails()).Add(u.Details);
                    }
                    finish = update.FinishReason ?? finish;
                    cost = update.GetCost() ?? cost;
                    var text = update.Text;
                    if (text.Length == 0) continue;
                    if (!committed)
                    {
                        SetRouteHeaders(http.Response, plan, upstream, attempt);
                        await wire.BeginStreamAsync(http.Response, call);
                        committed = true;
                    }
                    await wire.WriteDeltaAsync(http.Response, call, text);
                }
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                outcome.Status = 499;
                outcome.Error = "the client disconnected; the upstream call was cancelled";
                return;
            }
            finally
            {
                try { await stream.DisposeAsync(); }
                catch (Exception) when (http.RequestAborted.IsCancellationRequested || timeout.IsCancellationRequested) { }
            }
        }
        throw Exhausted(plan, failures, lastKind);
    }

    private static ChatOptions OptionsFor(ChatRequest request, Upstream upstream)
    {
        var options = request.Options.Clone();
        options.ModelId = upstream.Model;
        return options;
    }

    /// <summary>Null when the next target should be tried; an exception to send the client when the request itself is at fault.</summary>
    private static GatewayRequestException? Classify(Exception e, Upstream upstream, RoutePlan plan, List<string> failures)
    {
        if (EndpointException.FindIn(e) is { Kind: EndpointErrorKind.BadRequest } bad)
            return new GatewayRequestException(400, "invalid_request_error", "upstream_rejected_request", $"{upstream.Id} rejected the request: {bad.Message}");
        failures.Add($"{upstream.Id}: {Describe(e, plan)}");
        return null;
    }

    private static EndpointErrorKind KindOf(Exception e) =>
        EndpointException.FindIn(e)?.Kind ?? (e is OperationCanceledException ? EndpointErrorKind.Timeout : EndpointErrorKind.ServerError);

    private static string Describe(Exception e, RoutePlan plan) => e is OperationCanceledException && EndpointException.FindIn(e) is null
        ? $"no reply within the route timeout of {plan.Timeout.TotalSeconds:0.###} s"
        : EndpointException.FindIn(e)?.Message ?? e.Message;

    private static GatewayRequestException Exhausted(RoutePlan plan, List<string> failures, EndpointErrorKind lastKind)
    {
        var (status, code) = lastKind switch
        {
            EndpointErrorKind.RateLimited => (429, "upstream_rate_limited"),
            EndpointErrorKind.Timeout => (504, "upstream_timeout"),
            _ => (502, "upstream_failed"),
        };
        return new GatewayRequestException(status, status == 429 ? "rate_limit_exceeded" : "server_error", code,
            $"'{plan.RouteName}': every attempt failed ({failures.Count} of {plan.MaxAttempts} allowed): {string.Join("; ", failures)}");
    }

    private static (decimal?, string?) CostOf(ResponseCost? cost, Upstream upstream) =>
        cost is { IsKnown: true } known ? (known.Amount, known.Currency) : (null, upstream.Price.Currency);

    private static void SetRouteHeaders(HttpResponse response, RoutePlan plan, Upstream upstream, int attempt)
    {
        response.Headers["X-ModelRace-Route"] = plan.RouteName;
        response.Headers["X-ModelRace-Endpoint"] = upstream.Id;
        if (attempt > 0) response.Headers["X-ModelRace-Fallback-Attempts"] = attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
