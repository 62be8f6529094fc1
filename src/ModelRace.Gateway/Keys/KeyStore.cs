using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelRace.Storage;

namespace ModelRace.Gateway.Keys;

public enum DataClass { General, Confidential }

/// <summary>A gateway key as stored: never the secret, only its SHA-256 and first characters for recognition.</summary>
public sealed record GatewayKey
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Prefix { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public decimal? BudgetPerDay { get; init; }
    public decimal? BudgetPerMonth { get; init; }
    public int? RequestsPerMinute { get; init; }
    public int? TokensPerMinute { get; init; }
    /// <summary>Null allows every route and endpoint; otherwise only these route names (or endpoint/model ids).</summary>
    public IReadOnlyList<string>? AllowedRoutes { get; init; }
    public DataClass DefaultDataClass { get; init; }

    public bool Allows(string modelName) =>
        AllowedRoutes is null || AllowedRoutes.Any(r => r.Equals(modelName, StringComparison.OrdinalIgnoreCase));
}

public sealed record NewKeyRequest(string Name, decimal? BudgetPerDay = null, decimal? BudgetPerMonth = null, int? RequestsPerMinute = null,
    int? TokensPerMinute = null, IReadOnlyList<string>? AllowedRoutes = null, DataClass DefaultDataClass = DataClass.General);

/// <summary>gateway_keys: create, list, revoke, and look up a presented secret by its hash.</summary>
public sealed class KeyStore(SqliteStore store)
{
    public const string SecretPrefix = "mr-";

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Creates a key and returns it with its secret, which is shown once and never stored.</summary>
    public (GatewayKey Key, string Secret) Create(NewKeyRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Name)) throw new ArgumentException("a key needs a name", nameof(request));
        var secret = SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var key = new GatewayKey
        {
            Id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            Name = request.Name,
            Prefix = secret[..9],
            CreatedAt = DateTimeOffset.UtcNow,
            BudgetPerDay = request.BudgetPerDay,
            BudgetPerMonth = request.BudgetPerMonth,
            RequestsPerMinute = request.RequestsPerMinute,
            TokensPerMinute = request.TokensPerMinute,
            AllowedRoutes = request.AllowedRoutes is { Count: > 0 } routes ? routes : null,
            DefaultDataClass = request.DefaultDataClass,
        };
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO gateway_keys (id, name, key_hash, key_prefix, created_at, budget_day, budget_month, rpm, tpm, allowed_routes_json, default_data_class)
            VALUES ($id, $name, $hash, $prefix, $created, $day, $month, $rpm, $tpm, $routes, $class)
            """;
        command.Parameters.AddWithValue("$id", key.Id);
        command.Parameters.AddWithValue("$name", key.Name);
        command.Parameters.AddWithValue("$hash", Hash(secret));
        command.Parameters.AddWithValue("$prefix", key.Prefix);
        command.Parameters.AddWithValue("$created", key.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$day", (object?)key.BudgetPerDay ?? DBNull.Value);
        command.Parameters.AddWithValue("$month", (object?)key.BudgetPerMonth ?? DBNull.Value);
        command.Parameters.AddWithValue("$rpm", (object?)key.RequestsPerMinute ?? DBNull.Value);
        command.Parameters.AddWithValue("$tpm", (object?)key.TokensPerMinute ?? DBNull.Value);
        command.Parameters.AddWithValue("$routes", key.AllowedRoutes is null ? DBNull.Value : JsonSerializer.Serialize(key.AllowedRoutes));
        command.Parameters.AddWithValue("$class", DataClassName(key.DefaultDataClass));
        command.ExecuteNonQuery();
        return (key, secret);
    }

    public IReadOnlyList<GatewayKey> List(bool includeRevoked = true)
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, key_prefix, created_at, revoked_at, budget_day, budget_month, rpm, tpm, allowed_routes_json, default_data_class, key_hash FROM gateway_keys ORDER BY created_at";
        using var reader = command.ExecuteReader();
        var keys = new List<GatewayKey>();
        while (reader.Read())
        {
            var key = Read(reader);
            if (includeRevoked || key.RevokedAt is null) keys.Add(key);
        }
        return keys;
    }

    /// <summary>Active keys by the hash of their secret, for the request path to keep in memory.</summary>
    public Dictionary<string, GatewayKey> ActiveByHash()
    {
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, name, key_prefix, created_at, revoked_at, budget_day, budget_month, rpm, tpm, allowed_routes_json, default_data_class, key_hash FROM gateway_keys WHERE revoked_at IS NULL";
        using var reader = command.ExecuteReader();
        var keys = new Dictionary<string, GatewayKey>(StringComparer.Ordinal);
        while (reader.Read()) keys[reader.GetString(11)] = Read(reader);
        return keys;
    }

    /// <summary>Revokes by id, name or prefix; returns the key, or null when none matches.</summary>
    public GatewayKey? Revoke(string idOrName)
    {
        var matches = List(includeRevoked: false).Where(k => k.Id == idOrName || k.Name == idOrName || k.Prefix == idOrName).ToList();
        if (matches.Count > 1) throw new InvalidOperationException($"'{idOrName}' matches {matches.Count} keys ({string.Join(", ", matches.Select(k => k.Id))}); revoke by id");
        if (matches.Count == 0) return null;
        using var connection = store.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE gateway_keys SET revoked_at = $at WHERE id = $id";
        var at = DateTimeOffset.UtcNow;
        command.Parameters.AddWithValue("$at", at.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$id", matches[0].Id);
        command.ExecuteNonQuery();
        return matches[0] with { RevokedAt = at };
    }

    public static string DataClassName(DataClass dataClass) => dataClass == DataClass.Confidential ? "confidential" : "general";

    public static DataClass? ParseDataClass(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "confidential" => DataClass.Confidential,
        "general" or "public" or "" => DataClass.General,
        _ => null,
    };

    private static GatewayKey Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Prefix = r.GetString(2),
        CreatedAt = DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
        RevokedAt = r.IsDBNull(4) ? null : DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture),
        BudgetPerDay = r.IsDBNull(5) ? null : (decimal)r.GetDouble(5),
        BudgetPerMonth = r.IsDBNull(6) ? null : (decimal)r.GetDouble(6),
        RequestsPerMinute = r.IsDBNull(7) ? null : r.GetInt32(7),
        TokensPerMinute = r.IsDBNull(8) ? null : r.GetInt32(8),
        AllowedRoutes = r.IsDBNull(9) ? null : JsonSerializer.Deserialize<List<string>>(r.GetString(9)),
        DefaultDataClass = ParseDataClass(r.GetString(10)) ?? DataClass.General,
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
