-- litescope demo workspace: gateway/gateway.db.backup (the API gateway).
-- The live gateway/gateway.db beside it is a 0-byte file; this backup is the
-- only copy of the data. Deliberate: request_log.session_id is a declared FK
-- with no index (sessions.api_key_id is indexed).
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    owner_email TEXT NOT NULL,
    created_at TEXT,
    revoked_at TEXT
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    api_key_id INTEGER NOT NULL REFERENCES api_keys(id),
    started_at TEXT,
    last_seen_at TEXT
);

CREATE INDEX idx_sessions_api_key ON sessions(api_key_id);

CREATE TABLE request_log (
    id INTEGER PRIMARY KEY,
    session_id TEXT REFERENCES sessions(id),
    path TEXT,
    status INTEGER,
    duration_ms INTEGER,
    at TEXT
);

-- 24 API keys; every 6th one is revoked.
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 24)
INSERT INTO api_keys (id, key_hash, owner_email, created_at, revoked_at)
SELECT n,
       'sha256:' || printf('%08x%08x%08x%08x',
                           (n * 2654435761) % 4294967296, (n * 2246822519 + 374761393) % 4294967296,
                           (n * 3266489917 + 668265263) % 4294967296, (n * 668265263 + 2654435761) % 4294967296),
       CASE n % 4 WHEN 0 THEN 'ops' WHEN 1 THEN 'backend' WHEN 2 THEN 'mobile' ELSE 'partner' END
         || (n / 4 + 1) || '@example.com',
       datetime('2026-08-20 09:00:00', '+' || (n * 11) || ' hours'),
       CASE WHEN n % 6 = 0 THEN datetime('2026-09-25 17:00:00', '+' || n || ' hours') END
FROM seq;

-- 200 sessions with opaque text ids.
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 200)
INSERT INTO sessions (id, api_key_id, started_at, last_seen_at)
SELECT 'sess_' || printf('%08x', (n * 2246822519) % 4294967296),
       ((n * 5) % 24) + 1,
       datetime('2026-09-01 00:00:00', '+' || (n * 173) || ' minutes'),
       datetime('2026-09-01 00:00:00', '+' || (n * 173 + 5 + (n * 29) % 240) || ' minutes')
FROM seq;

-- 4000 requests, 20 per session, inside each session's active window.
-- Health checks are unauthenticated (session_id NULL).
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 4000),
  p(paths) AS (SELECT
    '["/v1/chat/completions","/v1/chat/completions","/v1/chat/completions","/v1/conversations","/v1/conversations/{id}/messages","/v1/memories","/v1/memories/search","/v1/users/me","/healthz"]')
INSERT INTO request_log (id, session_id, path, status, duration_ms, at)
SELECT n,
       CASE WHEN (n * 7) % 9 = 8 THEN NULL
            ELSE 'sess_' || printf('%08x', ((((n - 1) % 200) + 1) * 2246822519) % 4294967296) END,
       json_extract(paths, '$[' || ((n * 7) % 9) || ']'),
       CASE WHEN (n * 7) % 9 = 8 THEN 200
            WHEN n % 97 = 0 THEN 500
            WHEN n % 41 = 0 THEN 429
            WHEN n % 23 = 0 THEN 404
            WHEN n % 17 = 0 THEN 401
            WHEN (n * 7) % 9 IN (3, 4) AND n % 2 = 0 THEN 201
            ELSE 200 END,
       CASE WHEN (n * 7) % 9 = 8 THEN 1 + n % 3
            WHEN (n * 7) % 9 < 3 THEN 400 + (n * 131) % 2600
            ELSE 8 + (n * 37) % 180 END,
       datetime(s.started_at, '+' || (((n - 1) / 200) * (5 + (s.k * 29) % 240) * 3) || ' seconds')
FROM seq
JOIN (SELECT row_number() OVER (ORDER BY started_at) AS k, started_at FROM sessions) s
  ON s.k = ((seq.n - 1) % 200) + 1
CROSS JOIN p;
