-- litescope demo workspace: chat/app.db's rows, inserted after its first three migrations ran.
-- Deterministic: no random(), no 'now'. Foreign keys are switched off so that three orphan
-- messages can be stored (deliberate declared-FK violations for the audit to find).
PRAGMA foreign_keys = OFF;

-- 40 users; every 9th one is soft-deleted.
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 40),
  names(first, last) AS (SELECT
    '["Ada","Bruno","Chloe","Dmitri","Elena","Farid","Grace","Hiro","Ines","Jonas","Kemi","Luca","Maya","Nils","Olga","Priya","Quentin","Rosa","Sven","Tariq"]',
    '["Okafor","Lindqvist","Moreau","Tanaka","Silva","Novak","Haddad","Kowalski","Brennan","Ferreira","Ivanova","Osei","Park","Rossi"]')
INSERT INTO users (id, email, display_name, created_at, deleted_at)
SELECT n,
       lower(json_extract(first, '$[' || ((n - 1) % 20) || ']')) || '.'
         || lower(json_extract(last, '$[' || ((n * 3) % 14) || ']')) || n || '@example.com',
       CASE WHEN n % 11 = 0 THEN NULL
            ELSE json_extract(first, '$[' || ((n - 1) % 20) || ']') || ' '
                 || json_extract(last, '$[' || ((n * 3) % 14) || ']') END,
       datetime('2026-09-01 13:00:00', '+' || (n * 5) || ' hours', '+' || ((n * 17) % 60) || ' minutes'),
       CASE WHEN n % 9 = 0 THEN datetime('2026-09-26 10:00:00', '+' || n || ' hours') END
FROM seq, names;

-- 120 conversations spread over the users.
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 120),
  t(topic, kind) AS (SELECT
    '["SQLite WAL mode","quarterly report","onboarding email","Rust lifetimes","trip to Lisbon","flaky CI job","pricing page","database migration","birthday gift ideas","API rate limits","cover letter","Kubernetes probes","sourdough starter","index tuning","team retro"]',
    '["Help with","Questions about","Draft:","Debugging","Notes on","Ideas for"]')
INSERT INTO conversations (id, user_id, title, created_at)
SELECT n,
       ((n * 7) % 40) + 1,
       CASE WHEN n % 17 = 0 THEN NULL
            ELSE json_extract(kind, '$[' || (n % 6) || ']') || ' '
                 || json_extract(topic, '$[' || ((n * 4) % 15) || ']') END,
       datetime('2026-09-10 13:00:00', '+' || (n * 173) || ' minutes')
FROM seq, t;

-- 3000 messages: 25 turns per conversation, alternating user/assistant; every
-- 4th conversation opens with a system prompt. Assistant/system rows have
-- user_id NULL. Each assistant reply answers the preceding user question.
WITH RECURSIVE
  seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 3000),
  turn(n, cid, k, role) AS (
    SELECT n, ((n - 1) % 120) + 1, (n - 1) / 120,
           CASE WHEN n % 4 = 0 AND (n - 1) / 120 = 0 THEN 'system'
                WHEN ((n - 1) / 120 + (n % 4 = 0)) % 2 = 0 THEN 'user'
                ELSE 'assistant' END
    FROM seq),
  p(hello, opener, ask, ack, answer, closer, sys) AS (SELECT
    '["Hi,","Hello,","Hey there,","Hi, quick one:"]',
    '["Quick question:","Okay, next thing:","Hmm, that did not work, so","Thanks! One more:","Following up on that,","Sorry if this is basic, but"]',
    '["how do I make this query faster?","can you rewrite this paragraph to sound friendlier?","why does the build fail only on CI?","what is a good default timeout here?","could you summarise the tradeoffs in three bullets?","is there a simpler way to do this?","can you check my reasoning?","what should I test first?"]',
    '["Good question.","Sure.","Let''s break it down.","That usually has a simple cause.","Here is one way to approach it."]',
    '["An index on the filtered column lets SQLite skip the full table scan.","Shorter sentences and a direct greeting make the tone warmer.","CI runners often have a different locale and fewer CPU cores than your laptop.","Thirty seconds is a sensible default; make it configurable.","The main tradeoff is consistency versus latency.","You can replace the loop with a single aggregate query.","Your steps are correct up to the third one, where the units change.","Start with the path that handles user input, since it fails most often."]',
    '["Want me to show an example?","Let me know if that helps.","I can go deeper on any of these.","Try it and tell me what you see.",""]',
    '["You are a concise, friendly assistant.","You are a helpful assistant. Answer in plain English.","You are a coding assistant. Prefer short code samples."]')
INSERT INTO messages (id, conversation_id, user_id, role, body, created_at)
SELECT t.n, c.id,
       CASE WHEN t.role = 'user' THEN c.user_id END,
       t.role,
       CASE t.role
         WHEN 'system' THEN json_extract(sys, '$[' || (c.id % 3) || ']')
         WHEN 'user' THEN
           CASE WHEN t.k <= 1 THEN json_extract(hello, '$[' || (c.id % 4) || ']')
                ELSE json_extract(opener, '$[' || ((c.id + t.k * 5) % 6) || ']') END
           || ' ' || json_extract(ask, '$[' || ((c.id * 3 + t.k) % 8) || ']')
         ELSE trim(json_extract(ack, '$[' || ((c.id + t.k) % 5) || ']') || ' '
                   || json_extract(answer, '$[' || ((c.id * 3 + t.k - 1) % 8) || ']') || ' '
                   || json_extract(closer, '$[' || ((c.id * 2 + t.k) % 5) || ']'))
       END,
       datetime(c.created_at, '+' || (t.k * 4 + (t.n % 3)) || ' minutes',
                '+' || ((t.n * 13) % 60) || ' seconds')
FROM turn t
JOIN conversations c ON c.id = t.cid
CROSS JOIN p;

-- Deliberate: 3 orphan messages whose conversations (901, 902, 957) do not exist.
INSERT INTO messages (id, conversation_id, user_id, role, body, created_at) VALUES
    (3001, 901, 12, 'user', 'Is anyone there? The page reloaded and my chat vanished.', '2026-09-29 22:14:05'),
    (3002, 902, NULL, 'assistant', 'I''m here. It looks like the conversation was reset; could you paste your last question?', '2026-09-29 22:14:09'),
    (3003, 957, 23, 'user', 'Trying again after the outage: how do I export my history?', '2026-09-30 07:41:52');

-- 80 thread summaries (conversations whose id is not a multiple of 3).
WITH RECURSIVE
  s(lead, tail) AS (SELECT
    '["User asked about","Discussion covered","Long thread on","Short exchange about","Troubleshooting session for"]',
    '["Resolved with a suggested fix.","User will try the proposal and report back.","Open question remains about performance.","Assistant provided an example and a checklist.","No clear resolution yet."]')
INSERT INTO thread_summaries (conversation_id, summary, updated_at)
SELECT c.id,
       json_extract(lead, '$[' || (c.id % 5) || ']') || ' '
         || lower(coalesce(c.title, 'an untitled topic')) || '. '
         || json_extract(tail, '$[' || ((c.id * 3) % 5) || ']'),
       max('2026-09-20 12:00:00', datetime(c.created_at, '+2 hours'))
FROM conversations c, s
WHERE c.id % 3 <> 0;

PRAGMA foreign_keys = ON;
