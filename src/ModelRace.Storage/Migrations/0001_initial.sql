-- Races: one row per race run. resume_key identifies "the same race" (suite + contestants + options),
-- so a rerun after Ctrl-C finds this row and continues instead of starting over.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    resume_key    TEXT NOT NULL UNIQUE,
    suite         TEXT NOT NULL,
    suite_hash    TEXT NOT NULL,
    options_json  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'completed', 'failed')),
    created_at    TEXT NOT NULL,
    finished_at   TEXT
);

-- The models taking part in a run, with what the leaderboard shows about them.
CREATE TABLE run_contestants (
    run_id        TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    contestant    TEXT NOT NULL,
    endpoint      TEXT NOT NULL,
    model         TEXT NOT NULL,
    card_id       TEXT,
    open_weights  INTEGER NOT NULL DEFAULT 0,
    deployment    TEXT NOT NULL DEFAULT 'external' CHECK (deployment IN ('private', 'external')),
    PRIMARY KEY (run_id, contestant)
);

-- The items of a run, frozen at its start so that a later edit of the suite cannot change old results.
CREATE TABLE items (
    run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    item_id         TEXT NOT NULL,
    ordinal         INTEGER NOT NULL,
    category        TEXT,
    scorer          TEXT NOT NULL,
    prompt_json     TEXT NOT NULL,
    reference_json  TEXT,
    PRIMARY KEY (run_id, item_id)
);

-- One row per (run, contestant, item), written the moment the answer arrives.
-- status 'error' rows are kept apart from wrong answers: score stays NULL.
CREATE TABLE responses (
    run_id            TEXT NOT NULL,
    contestant        TEXT NOT NULL,
    item_id           TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    response_text     TEXT,
    score             REAL,
    input_tokens      INTEGER,
    output_tokens     INTEGER,
    cached_tokens     INTEGER,
    reasoning_tokens  INTEGER,
    latency_ms        REAL,
    ttft_ms           REAL,
    cost              REAL,
    currency          TEXT,
    error             TEXT,
    details_json      TEXT,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (run_id, contestant, item_id),
    FOREIGN KEY (run_id, item_id) REFERENCES items(run_id, item_id) ON DELETE CASCADE
);

-- Gateway API keys: only a hash of the secret is stored.
CREATE TABLE gateway_keys (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    key_hash            TEXT NOT NULL UNIQUE,
    key_prefix          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    revoked_at          TEXT,
    budget_day          REAL,
    budget_month        REAL,
    rpm                 INTEGER,
    tpm                 INTEGER,
    allowed_routes_json TEXT,
    default_data_class  TEXT NOT NULL DEFAULT 'general'
);

-- Every gateway request. Append-only and high-volume: indexed by time for reports and retention deletes.
CREATE TABLE gateway_usage (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    at                 TEXT NOT NULL,
    request_id         TEXT NOT NULL,
    key_id             TEXT,
    route              TEXT,
    endpoint           TEXT,
    model              TEXT,
    fallback_attempts  INTEGER NOT NULL DEFAULT 0,
    input_tokens       INTEGER,
    output_tokens      INTEGER,
    cached_tokens      INTEGER,
    cost               REAL,
    currency           TEXT,
    latency_ms         REAL,
    status_code        INTEGER NOT NULL,
    data_class         TEXT NOT NULL DEFAULT 'general',
    error              TEXT
);
CREATE INDEX ix_gateway_usage_at ON gateway_usage(at);
CREATE INDEX ix_gateway_usage_key_at ON gateway_usage(key_id, at);
CREATE INDEX ix_gateway_usage_route_at ON gateway_usage(route, at);
CREATE INDEX ix_responses_contestant ON responses(run_id, contestant);
