using Microsoft.Data.Sqlite;

namespace ModelRace.Storage;

/// <summary>
/// The ModelRace SQLite database: opened in WAL mode and migrated to the latest schema on open.
/// A locked, corrupt, foreign or newer-schema file gives a <see cref="StoreException"/> and is left untouched.
/// </summary>
public sealed class SqliteStore
{
    /// <summary>PRAGMA application_id marking a file as ModelRace's ("MRce").</summary>
    public const int ApplicationId = 0x4D526365;

    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteCorrupt = 11, SqliteNotADatabase = 26;

    private readonly string _connectionString;

    private SqliteStore(string path, string connectionString, int schemaVersion)
    {
        Path = path;
        _connectionString = connectionString;
        SchemaVersion = schemaVersion;
    }

    public string Path { get; }
    public int SchemaVersion { get; }
    public static int LatestSchemaVersion => Migration.Latest;

    public static SqliteStore Open(string path, TimeSpan? busyTimeout = null)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (directory is not null && !Directory.Exists(directory))
            throw new StoreException($"cannot create database {fullPath}: directory {directory} does not exist");
        if (Directory.Exists(fullPath))
            throw new StoreException($"database path {fullPath} is a directory; give a file name such as modelrace.db");

        var timeout = busyTimeout ?? TimeSpan.FromSeconds(5);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = (int)Math.Ceiling(timeout.TotalSeconds),
            Pooling = false,
        }.ToString();

        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout = {(int)timeout.TotalMilliseconds};");
            var version = CheckIdentity(connection, fullPath);
            if (version < Migration.Latest)
            {
                Execute(connection, "PRAGMA journal_mode = WAL;");
                Migrate(connection, version);
            }
            return new SqliteStore(fullPath, connectionString, Migration.Latest);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteBusy or SqliteLocked)
        {
            throw new StoreException($"database {fullPath} is locked by another process (waited {timeout.TotalSeconds:0.#} s); close the other modelrace or pass a different --db", e);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            throw new StoreException($"{fullPath} is not a SQLite database or is corrupt ({e.Message.TrimEnd('.')}); it was left unchanged. Move it aside or pass a different --db", e);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>A new open connection with ModelRace's per-connection settings; the caller disposes it.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
        return connection;
    }

    private static int CheckIdentity(SqliteConnection connection, string path)
    {
        var applicationId = Convert.ToInt32(Scalar(connection, "PRAGMA application_id;"), System.Globalization.CultureInfo.InvariantCulture);
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
        var tableCount = Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_master;"), System.Globalization.CultureInfo.InvariantCulture);
        var foreign = applicationId != 0 && applicationId != ApplicationId || applicationId == 0 && tableCount > 0;
        if (foreign)
            throw new StoreException($"{path} is a SQLite database that ModelRace did not create; it was left unchanged. Pass a different --db");
        if (version > Migration.Latest)
            throw new StoreException($"{path} has schema version {version}, newer than this modelrace understands ({Migration.Latest}); it was left unchanged. Upgrade modelrace to use it");
        return version;
    }

    private static void Migrate(SqliteConnection connection, int fromVersion)
    {
        foreach (var migration in Migration.All.Where(m => m.Version > fromVersion))
        {
            // IMMEDIATE takes the write lock up front, so two processes cannot both apply the same step.
            Execute(connection, "BEGIN IMMEDIATE;");
            try
            {
                var current = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), System.Globalization.CultureInfo.InvariantCulture);
                if (current >= migration.Version)
                {
                    Execute(connection, "COMMIT;");
                    continue;
                }
                Execute(connection, migration.Sql);
                Execute(connection, $"PRAGMA user_version = {migration.Version}; PRAGMA application_id = {ApplicationId};");
                Execute(connection, "COMMIT;");
            }
            catch
            {
                Execute(connection, "ROLLBACK;");
                throw;
            }
        }
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
