-- litescope demo workspace: memory/memory.db (the "memory" service).
-- Deliberate problems:
--   * memories.character_id has no declared FK; ids 5, 10, ..., 75 (15 ids)
--     have no row in characters, so some memories are orphans.
--   * memories uses camelCase columns (createdAt, deletedAt), the rest of the
--     workspace uses snake_case.
--   * memories.metadata holds JSON objects in a TEXT column.
--   * thread_summaries has the same name as chat/app.db's table but different columns.
-- No migration table, user_version stays 0, no ANALYZE.

CREATE TABLE characters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    persona TEXT
);

CREATE TABLE memories (
    id INTEGER PRIMARY KEY,
    character_id INTEGER NOT NULL,
    content TEXT NOT NULL,
    metadata TEXT,
    createdAt TEXT,
    deletedAt TEXT
);

CREATE INDEX idx_memories_character ON memories(character_id);

CREATE TABLE thread_summaries (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL,
    summary_text TEXT,
    token_count INTEGER,
    created_at TEXT
);

-- 60 characters: ids 1..75 except the multiples of 5 (those 15 were deleted).
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 75),
  w(name, trait, role) AS (SELECT
    '["Aria","Bram","Cass","Dorian","Eira","Fenn","Gwen","Hale","Isolde","Juno","Kai","Lark","Mira","Nox","Orin","Pip","Quill","Rhea","Sable","Tamsin","Ulric","Vela","Wren","Xan","Yara"]',
    '["cheerful","sardonic","patient","curious","blunt","gentle","theatrical","meticulous"]',
    '["ship''s navigator","village herbalist","retired detective","language tutor","space botanist","tavern keeper","chess coach","museum guide","fitness buddy","study partner"]')
INSERT INTO characters (id, name, persona)
SELECT n,
       json_extract(name, '$[' || ((n - 1) % 25) || ']')
         || CASE WHEN n > 25 THEN ' ' || char(64 + (n - 1) / 25) || '.' ELSE '' END,
       CASE WHEN n % 13 = 0 THEN NULL
            ELSE 'A ' || json_extract(trait, '$[' || (n % 8) || ']') || ' '
                 || json_extract(role, '$[' || ((n * 3) % 10) || ']') || '.' END
FROM seq, w
WHERE n % 5 <> 0;

-- 1200 memories over character ids 1..75 (16 rounds of 75). Only rounds
-- 0, 3, 6, 9, 12, 15 keep the deleted ids; other rounds use the id below,
-- so each missing character has exactly 6 orphan memories.
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1200),
  m(n, cid) AS (
    SELECT n, CASE WHEN (((n - 1) * 37) % 75 + 1) % 5 = 0 AND ((n - 1) / 75) % 3 <> 0
                   THEN ((n - 1) * 37) % 75 ELSE ((n - 1) * 37) % 75 + 1 END
    FROM seq),
  f(fact, src, tag) AS (SELECT
    '["User prefers short answers.","User''s dog is called Biscuit.","User is learning Portuguese.","User works night shifts as a nurse.","User dislikes spoilers.","User is training for a half marathon.","User''s birthday is in March.","User plays the cello.","User is allergic to peanuts.","User is moving to Lisbon next spring.","User likes puns.","User is writing a fantasy novel."]',
    '["chat","chat","chat","import","summary","manual"]',
    '["preference","pet","language","work","health","hobby","family","travel","food","goal"]')
INSERT INTO memories (id, character_id, content, metadata, createdAt, deletedAt)
SELECT m.n, m.cid,
       json_extract(fact, '$[' || ((m.n * 7 + m.cid) % 12) || ']'),
       CASE WHEN m.n % 12 = 0 THEN NULL
            ELSE json_object(
                   'source', json_extract(src, '$[' || (m.n % 6) || ']'),
                   'weight', ((m.n * 13) % 10 + 1) / 10.0,
                   'tags', CASE WHEN m.n % 4 = 0
                                THEN json_array(json_extract(tag, '$[' || (m.n % 10) || ']'),
                                                json_extract(tag, '$[' || ((m.n + 3) % 10) || ']'))
                                ELSE json_array(json_extract(tag, '$[' || (m.n % 10) || ']')) END)
       END,
       strftime('%Y-%m-%dT%H:%M:%SZ', '2026-06-01 08:00:00', '+' || (m.n * 131) || ' minutes'),
       CASE WHEN m.n % 25 = 0
            THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-09-15 12:00:00', '+' || m.n || ' minutes') END
FROM m, f;

-- 50 summaries keyed by an opaque thread id (no link to chat/app.db ids).
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 50),
  s(what) AS (SELECT
    '["Character recalled the user''s marathon plan and offered a pacing tip.","Long role-play scene at the tavern; user asked for a recap next time.","User practised Portuguese greetings; three corrections made.","Short check-in about sleep after a night shift.","User shared a chapter outline; character suggested a twist."]')
INSERT INTO thread_summaries (id, thread_id, summary_text, token_count, created_at)
SELECT n,
       'thr_' || printf('%08x', (n * 2654435761) % 4294967296),
       CASE WHEN n % 10 = 0 THEN NULL ELSE json_extract(what, '$[' || (n % 5) || ']') END,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 120 + (n * 37) % 400 END,
       datetime('2026-08-01 10:00:00', '+' || (n * 29) || ' hours')
FROM seq, s;
