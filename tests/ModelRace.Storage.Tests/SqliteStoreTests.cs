using Microsoft.Data.Sqlite;

namespace ModelRace.Storage.Tests;

public sealed class SqliteStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("modelrace-store-").FullName;
    private string DbPath => Path.Combine(_dir, "test.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static List<string> Tables(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
        using var reader = cmd.ExecuteReader();
        var names = new List<string>();
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    [Fact]
    public void Fresh_database_is_migrated_to_latest_in_wal_mode()
    {
        var store = SqliteStore.Open(DbPath);
        Assert.Equal(SqliteStore.LatestSchemaVersion, store.SchemaVersion);
        using var c = store.OpenConnection();
        Assert.Equal("wal", SqliteStore.Scalar(c, "PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteStore.LatestSchemaVersion, SqliteStore.Scalar(c, "PRAGMA user_version;"));
        Assert.Superset(new HashSet<string> { "runs", "run_contestants", "items", "responses", "gateway_keys", "gateway_usage" }, Tables(c).ToHashSet());
    }

    [Fact]
    public void Reopening_a_migrated_database_keeps_its_data()
    {
        var store = SqliteStore.Open(DbPath);
        using (var c = store.OpenConnection())
            SqliteStore.Execute(c, "INSERT INTO gateway_usage (at, request_id, status_code) VALUES ('2026-01-01T00:00:00Z', 'r1', 200);");
        var again = SqliteStore.Open(DbPath);
        using var c2 = again.OpenConnection();
        Assert.Equal(1L, SqliteStore.Scalar(c2, "SELECT count(*) FROM gateway_usage;"));
    }

    [Fact]
    public void Newer_schema_is_refused_and_left_unchanged()
    {
        SqliteStore.Open(DbPath);
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            SqliteStore.Execute(c, $"PRAGMA user_version = {SqliteStore.LatestSchemaVersion + 1};");
        }
        var before = File.ReadAllBytes(DbPath);
        var error = Assert.Throws<StoreException>(() => SqliteStore.Open(DbPath));
        Assert.Contains("newer than this modelrace understands", error.Message);
        Assert.Equal(before, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Corrupt_file_is_refused_and_left_unchanged()
    {
        var garbage = Enumerable.Range(0, 8192).Select(i => (byte)(i * 31 % 251)).ToArray();
        File.WriteAllBytes(DbPath, garbage);
        var error = Assert.Throws<StoreException>(() => SqliteStore.Open(DbPath));
        Assert.Contains("not a SQLite database or is corrupt", error.Message);
        Assert.Equal(garbage, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Foreign_sqlite_database_is_refused()
    {
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            SqliteStore.Execute(c, "CREATE TABLE customers (id INTEGER);");
        }
        var error = Assert.Throws<StoreException>(() => SqliteStore.Open(DbPath));
        Assert.Contains("did not create", error.Message);
    }

    [Fact]
    public void Locked_database_gives_a_clear_error()
    {
        using var holder = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        holder.Open();
        SqliteStore.Execute(holder, "BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS x (a);");
        var error = Assert.Throws<StoreException>(() => SqliteStore.Open(DbPath, TimeSpan.FromMilliseconds(200)));
        Assert.Contains("locked by another process", error.Message);
        SqliteStore.Execute(holder, "ROLLBACK;");
    }

    [Fact]
    public void Missing_directory_is_reported()
    {
        var error = Assert.Throws<StoreException>(() => SqliteStore.Open(Path.Combine(_dir, "nope", "x.db")));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void Migrations_are_numbered_without_gaps()
    {
        Assert.Equal(Enumerable.Range(1, Migration.All.Count), Migration.All.Select(m => m.Version));
    }
}
