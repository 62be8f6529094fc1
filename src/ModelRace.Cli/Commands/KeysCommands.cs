using System.CommandLine;
using System.Globalization;
using ModelRace.Gateway.Keys;
using ModelRace.Storage;
using Spectre.Console;

namespace ModelRace.Cli.Commands;

/// <summary>`modelrace keys create|list|revoke`: the gateway's API keys, stored hashed.</summary>
internal static class KeysCommands
{
    public static Command Create(CliContext context)
    {
        var command = new Command("keys", "Manage gateway API keys (stored as SHA-256 hashes; the secret is shown once).");
        command.Subcommands.Add(CreateCreate(context));
        command.Subcommands.Add(CreateList(context));
        command.Subcommands.Add(CreateRevoke(context));
        return command;
    }

    private static Command CreateCreate(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "Who or what the key is for, e.g. team-search." };
        var day = new Option<decimal?>("--budget-day") { Description = "Most the key may spend per UTC day, in USD." };
        var month = new Option<decimal?>("--budget-month") { Description = "Most the key may spend per UTC month, in USD." };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute." };
        var tpm = new Option<int?>("--tpm") { Description = "Tokens per minute." };
        var routes = new Option<string[]>("--route") { Description = "A route (or endpoint/model) the key may use; repeatable. Default: all." };
        var dataClass = new Option<string>("--data-class") { Description = "Default data class of its requests: general or confidential.", DefaultValueFactory = _ => "general" };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("create", "Create a key and print its secret (once).") { name, day, month, rpm, tpm, routes, dataClass, db, json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(day) is < 0 || parse.GetValue(month) is < 0) throw new CliException("budgets must be 0 or more");
            if (parse.GetValue(rpm) is <= 0 || parse.GetValue(tpm) is <= 0) throw new CliException("--rpm and --tpm must be above 0");
            var cls = KeyStore.ParseDataClass(parse.GetValue(dataClass)) ?? throw new CliException($"--data-class must be general or confidential, not '{parse.GetValue(dataClass)}'");
            var (key, secret) = Store(context, parse.GetValue(db)).Create(new NewKeyRequest(parse.GetValue(name)!, parse.GetValue(day), parse.GetValue(month),
                parse.GetValue(rpm), parse.GetValue(tpm), parse.GetValue(routes), cls));
            if (parse.GetValue(json)) CommonOptions.WriteJson(context, new { key.Id, key.Name, Secret = secret });
            else
            {
                context.Console.MarkupLine($"Created key [bold]{Markup.Escape(key.Name)}[/] ({key.Id}). Its secret, shown only now:");
                context.Out.WriteLine(secret);
            }
            return 0;
        });
        return command;
    }

    private static Command CreateList(CliContext context)
    {
        var all = new Option<bool>("--all") { Description = "Include revoked keys." };
        var db = CommonOptions.Db();
        var json = CommonOptions.Json();
        var command = new Command("list", "List keys with their limits (never their secrets).") { all, db, json };
        command.SetAction(parse =>
        {
            var keys = Store(context, parse.GetValue(db)).List(includeRevoked: parse.GetValue(all)).ToList();
            if (parse.GetValue(json))
            {
                CommonOptions.WriteJson(context, keys.Select(k => new
                {
                    k.Id, k.Name, k.Prefix, k.CreatedAt, k.RevokedAt, k.BudgetPerDay, k.BudgetPerMonth, k.RequestsPerMinute, k.TokensPerMinute,
                    k.AllowedRoutes, DefaultDataClass = KeyStore.DataClassName(k.DefaultDataClass),
                }));
                return 0;
            }
            var table = new Table().AddColumns("Id", "Name", "Prefix", "Budget/day", "Budget/month", "RPM", "TPM", "Routes", "Data class", "Status");
            foreach (var k in keys)
            {
                table.AddRow(k.Id, Markup.Escape(k.Name), k.Prefix + "…", Money(k.BudgetPerDay), Money(k.BudgetPerMonth), Num(k.RequestsPerMinute), Num(k.TokensPerMinute),
                    Markup.Escape(k.AllowedRoutes is null ? "all" : string.Join(", ", k.AllowedRoutes)), KeyStore.DataClassName(k.DefaultDataClass),
                    k.RevokedAt is null ? "active" : "revoked");
            }
            context.Console.Write(table);
            return 0;
        });
        return command;
    }

    private static Command CreateRevoke(CliContext context)
    {
        var id = new Argument<string>("key") { Description = "The key's id, name or prefix." };
        var db = CommonOptions.Db();
        var command = new Command("revoke", "Revoke a key; a running gateway refuses it within 5 seconds.") { id, db };
        command.SetAction(parse =>
        {
            GatewayKey? revoked;
            try { revoked = Store(context, parse.GetValue(db)).Revoke(parse.GetValue(id)!); }
            catch (InvalidOperationException e) { throw new CliException(e.Message); }
            if (revoked is null) throw new CliException($"no active key has the id, name or prefix '{parse.GetValue(id)}' (see `modelrace keys list`)");
            context.Console.MarkupLine($"Revoked [bold]{Markup.Escape(revoked.Name)}[/] ({revoked.Id}).");
            return 0;
        });
        return command;
    }

    internal static KeyStore Store(CliContext context, string? db) => new(OpenStore(context, db));

    internal static SqliteStore OpenStore(CliContext context, string? db)
    {
        try { return SqliteStore.Open(CommonOptions.DatabasePath(context, db)); }
        catch (StoreException e) { throw new CliException(e.Message); }
    }

    private static string Money(decimal? value) => value is { } v ? v.ToString("0.####", CultureInfo.InvariantCulture) : "-";
    private static string Num(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
