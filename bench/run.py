#!/usr/bin/env python3
"""Benchmark runner (not a test): litescope against the sqlite3 shell / sqlite3_analyzer.

    python3 bench/run.py [--only CASE_PREFIX] [--runs N] [--binary PATH] [--record]

Data sets are generated lazily into bench/data/ (gitignored) and reused while bench/data/stamp.json
still matches the generator parameters below. Times are wall-clock with a warm page cache (one
warm-up run per command is discarded). --record merges the table into BENCHMARKS.md.

Most cases time one litescope command against one baseline command. A case with a "run" key is
measured by its runner instead (RUNNERS below): the orphan counts against the fastest of several
hand-written queries, and the TUI cases, which drive litescope in tmux through bench/tui.py.
"""
import argparse, contextlib, datetime, json, os, re, shutil, signal, sqlite3, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import tui                                              # bench/tui.py: drives the TUI in tmux

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
STAMP = DATA / "stamp.json"
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# Generator parameters; changing any of them regenerates that data set.
BIG = {"version": 1, "tables": 200, "target_bytes": 10**9, "zipf_s": 1.5, "empty_every": 25}
TABLES10K = {"version": 1, "tables": 10_000, "index_every": 10, "empty_every": 3, "max_rows": 5}
ROWS10M = {"version": 1, "rows": 10_000_000, "users": 10_000}
ORPHANS = {"version": 2, "parents": 500_000, "accounts": 500_000, "children": 5_000_000, "orphan_every": 100,
           "null_every": 1000}
ORPHANS_TEXT = {"version": 1, "parents": 500_000, "children": 5_000_000, "orphan_every": 100}
FILES10K = {"version": 1, "files": 10_000}
MIGRATIONS1K = {"version": 1, "migrations": 1_000}
MIGRATIONS500 = {"version": 1, "migrations": 500}
WORKLOAD1K = {"version": 1, "statements": 1_000, "of": BIG}
# Side B of the schema diff: a copy of tables10k.db with a few changes (see gen_tables10k_b).
TABLES10K_B = {"version": 1, "of": TABLES10K}
# An application-shaped database from the shared generator (users, conversations, messages, events
# with indexed foreign keys, many small tables, WAL mode); its parameters are the generator's own.
BIGDB = ROOT.parent / "shared" / "tools" / "bigdb.py"
APP_BIG = {"version": 1, "generator": "bigdb.py", "profile": "big"}
APP_WIDE = {"version": 1, "generator": "bigdb.py", "profile": "wide"}

# argv placeholders: {bin} is the litescope binary, {data} is bench/data (commands run from the repo
# root). `check` is optional: max_ms (litescope median) and/or max_ratio (litescope / baseline).
CASES = [
    {"id": "inspect-1gb-fast", "description": "schema and estimates of a 1 GB, 200-table database",
     "litescope": ["{bin}", "inspect", "{data}/big.db", "--fast", "--json"],
     "baseline": ["sqlite3", "{data}/big.db", ".schema"],
     "target": "under 100 ms", "check": {"max_ms": 100}},
    {"id": "inspect-1gb-full", "description": "full measuring pass (sizes, exact counts, checks) on 1 GB",
     "litescope": ["{bin}", "inspect", "{data}/big.db", "--json"],
     "baseline": ["sqlite3_analyzer", "{data}/big.db"],
     "target": ">= 5x faster than sqlite3_analyzer", "check": {"max_ratio": 0.2}},
    {"id": "inspect-10k-tables", "description": "schema of a database with 10,000 small tables",
     "litescope": ["{bin}", "inspect", "{data}/tables10k.db", "--fast", "--json"],
     "baseline": ["sqlite3", "{data}/tables10k.db", ".schema"],
     "target": "ratio <= 1.5", "check": {"max_ratio": 1.5}},
    {"id": "inspect-wide-fast", "description": "schema of the application-shaped 10,000-table database "
     "(bigdb.py --profile wide)",
     "litescope": ["{bin}", "inspect", "{data}/app_wide.db", "--fast", "--json"],
     "baseline": ["sqlite3", "{data}/app_wide.db", ".schema"],
     "target": "ratio <= 1.5", "check": {"max_ratio": 1.5}},
    # A rollback-journal file past 64 MB with 16,000 b-trees: measured and checked in slices, where
    # going tree by tree costs a scan of sqlite_schema per tree. The baseline is the same work by
    # hand: the check, then bytes and cells of every b-tree.
    {"id": "inspect-wide-full", "description": "full measuring pass (sizes, exact counts, quick_check) "
     "on the application-shaped 10,000-table database (bigdb.py --profile wide, rollback journal)",
     "litescope": ["{bin}", "inspect", "{data}/app_wide.db", "--json"],
     "baseline": ["sqlite3", "{data}/app_wide.db",
                  "PRAGMA quick_check; SELECT name, sum(pgsize), sum(ncell) FROM dbstat GROUP BY name"],
     "target": "ratio <= 1.5", "check": {"max_ratio": 1.5}},
    {"id": "inspect-10k-tables-full", "description": "full measuring pass on 10,000 small tables",
     "litescope": ["{bin}", "inspect", "{data}/tables10k.db", "--json"],
     "baseline": ["sqlite3", "{data}/tables10k.db", ".schema"],
     "target": "informational"},
    # The schema diff exits 1 when the sides differ, as diff(1) does (run_diff accepts it).
    {"id": "diff-10k-tables", "description": "schema diff of two 10,000-table databases (B: a copy "
     "with 2 columns added, a type changed, 1 table dropped, 1 added, 1 index made partial)", "run": "diff",
     "litescope": ["{bin}", "diff", "{data}/tables10k.db", "{data}/tables10k_b.db", "--json"],
     "baseline": ["sqldiff", "--schema", "{data}/tables10k.db", "{data}/tables10k_b.db"],
     "timeout": 120, "target": "under 1 s", "check": {"max_ms": 1000}},
    {"id": "watch-commit-latency", "description": "`watch`: time from another process's commit to its "
     "line (WAL database, 20 commits 300 ms apart), then CPU while a writer commits 100 times a second",
     "run": "watch", "litescope": ["{bin}", "watch", "--json", "DB"], "baseline": None,
     "target": "under 500 ms, under one core", "check": {"max_ms": 500}},
    {"id": "report-1gb", "description": "the audit of the 1 GB database",
     "litescope": ["{bin}", "report", "{data}/big.db", "--format", "json"],
     "baseline": ["sqlite3", "{data}/big.db", "PRAGMA quick_check"],
     "target": "ratio <= 2", "check": {"max_ratio": 2}},
    # Orphan counts: the baseline is, per relation, the fastest of the hand-written queries
    # (each timed like any command), summed; the notes say which won and what each took.
    {"id": "orphans-5m", "description": "orphans of a declared (INTEGER PRIMARY KEY) and an inferred "
     "relation, 5M child rows, 500k parents each", "run": "orphans",
     "litescope": ["{bin}", "orphans", "{data}/orphans.db", "--json"],
     "baseline": ["sqlite3", "{data}/orphans.db"],
     "relations": {"child.parent_id -> parent.id (declared)": ("child", "parent_id", "parent", "id", True),
                   "child.account_id -> account.id (inferred)": ("child", "account_id", "account", "id", False)},
     "target": "ratio <= 0.5", "check": {"max_ratio": 0.5}},
    {"id": "orphans-unindexed", "description": "orphans of a declared foreign key onto an unindexed TEXT "
     "column (never quadratic), 5M child rows, 500k parents", "run": "orphans",
     "litescope": ["{bin}", "orphans", "{data}/orphans_text.db", "--json"],
     "baseline": ["sqlite3", "{data}/orphans_text.db"],
     "relations": {"child.parent_code -> parent.code (declared, unindexed)":
                   ("child", "parent_code", "parent", "code", True)},
     "timeout": 60, "target": "ratio <= 0.5", "check": {"max_ratio": 0.5}},
    # The application-shaped database of ../shared/tools/bigdb.py: the baseline is one sqlite3
    # process running, per declared foreign key, the `NOT EXISTS` count (run_orphans_summed).
    {"id": "orphans-app", "description": "orphans of every declared foreign key of an application-shaped "
     "1 GB database (bigdb.py --profile big: indexed foreign keys, 200 tables, WAL)", "run": "orphans_summed",
     "litescope": ["{bin}", "orphans", "{data}/app_big.db", "--json"],
     "baseline": ["sqlite3", "{data}/app_big.db"],
     "target": "ratio <= 0.5", "check": {"max_ratio": 0.5}},
    {"id": "report-app", "description": "the audit of the application-shaped 1 GB database",
     "litescope": ["{bin}", "report", "{data}/app_big.db", "--format", "json"],
     "baseline": ["sqlite3", "{data}/app_big.db", "PRAGMA quick_check"],
     "target": "ratio <= 1.5", "check": {"max_ratio": 1.5}},
    # Backups (run_backup): each run writes into a fresh folder that is removed, untimed, after it.
    {"id": "backup-1gb", "description": "backup of the 1 GB WAL database, not verified", "run": "backup",
     "litescope": ["{bin}", "backup", "create", "{data}/big_wal.db", "--no-verify", "--out", "{out}"],
     "baseline": ["sh", "-c", "cp {data}/big_wal.db {out}/ && sync {out}/big_wal.db"],
     "target": "ratio <= 1.3", "check": {"max_ratio": 1.3}},
    {"id": "backup-1gb-verified", "description": "backup of the 1 GB WAL database, verified (quick_check, "
     "schema, row counts, content hash)", "run": "backup",
     "litescope": ["{bin}", "backup", "create", "{data}/big_wal.db", "--out", "{out}"],
     "baseline": ["sh", "-c", "cp {data}/big_wal.db {out}/ && sync {out}/big_wal.db"],
     "target": "ratio <= 4", "check": {"max_ratio": 4}},
    {"id": "migrate-status-1k", "description": "`migrate status` of 1,000 sqlx migration files against "
     "1,000 recorded versions (every file read and SHA-384 checksummed)",
     "litescope": ["{bin}", "migrate", "status", "{data}/migrations1k/app.db", "--dir", "{data}/migrations1k",
                   "--json"],
     "baseline": ["sqlite3", "{data}/migrations1k/app.db", "SELECT version, checksum FROM _sqlx_migrations"],
     "target": "under 200 ms", "check": {"max_ms": 200}},
    # Each run applies to a fresh copy of an empty database (run_migrate_up); litescope backs it up
    # first, checks each migration (foreign_key_check, quick_check) and records it as sqlx does.
    {"id": "migrate-up-500", "description": "`migrate up` of 500 small sqlx migrations (a table, rows "
     "and an index each) on an empty database, each in its own transaction, backup first",
     "run": "migrate_up",
     "litescope": ["{bin}", "migrate", "up", "{db}", "--dir", "{data}/migrations500/migrations", "--kind", "sqlx"],
     "baseline": ["sqlite3", "{db}", ".read {data}/migrations500/apply.sql"],
     "target": "under 5 s", "check": {"max_ms": 5000}},
    # The index advisor: litescope plans every statement and proves its suggestions on a private
    # copy of the schema; the shell's `.expert` does one statement per `.expert` (expert.sql).
    {"id": "plan-workload-1k", "description": "`plan --workload` of 1,000 generated statements (lookups, "
     "sorts, ranges, joins, updates, deletes) over the 200-table database, each planned with its index "
     "suggestions, then merged and unused indexes found",
     "litescope": ["{bin}", "plan", "{data}/big.db", "--workload", "{data}/workload1k/workload.sql", "--json"],
     "baseline": ["sqlite3", "{data}/big.db", ".read {data}/workload1k/expert.sql"],
     "target": "under 2 s", "check": {"max_ms": 2000}},
    # TUI cases (bench/tui.py): litescope runs in a 160x45 tmux pane; times are read off the screen.
    {"id": "tui-start-1gb", "description": "TUI launch until a table name of the 1 GB database is on screen",
     "run": "tui_start", "litescope": ["{bin}", "{data}/big.db"],
     "baseline": ["sqlite3", "{data}/big.db", ".tables"], "target": "under 100 ms", "check": {"max_ms": 100}},
    {"id": "tui-start-10k", "description": "TUI launch until a table name of the 10,000-table database is "
     "on screen", "run": "tui_start", "litescope": ["{bin}", "{data}/tables10k.db"],
     "baseline": ["sqlite3", "{data}/tables10k.db", ".tables"], "target": "under 100 ms",
     "check": {"max_ms": 100}},
    {"id": "tui-start-10k-files", "description": "TUI launch on a folder of 10,000 small databases until "
     "the first file names are on screen", "run": "tui_start", "litescope": ["{bin}", "{data}/files10k"],
     "baseline": ["find", "{data}/files10k", "-name", "*.db"], "target": "under 200 ms",
     "check": {"max_ms": 200}},
    {"id": "tui-quit-10k-files", "description": "`q` right after the first names of 10,000 databases are on "
     "screen (every database still being read) until litescope has exited", "run": "tui_quit",
     "litescope": ["{bin}", "{data}/files10k"], "baseline": None, "target": "under 100 ms",
     "check": {"max_ms": 100}},
    {"id": "tui-rss-start", "description": "TUI resident memory (VmRSS) when the 1 GB database's table "
     "names appear", "run": "tui_rss_start", "litescope": ["{bin}", "{data}/big.db"],
     "baseline": ["sqlite3", "{data}/big.db", ".tables"], "target": "under 30 MB", "check": {"max_mb": 30}},
    # Memory at rest (run_tui_rest): litescope, rainfrog (the baseline; `cargo install rainfrog
    # --no-default-features`) and the sqlite3 shell after `.tables`, each 3 s after launch on the
    # same file, opened as litescope opens it: the WAL file with no -wal immutable (a read-only
    # open would leave a -wal and -shm behind when the tool is killed), the rollback file mode=ro.
    {"id": "tui-rss-rest-app", "description": "TUI resident memory (VmRSS) 3 s after launch on the "
     "application-shaped 1 GB database (bigdb.py --profile big)", "run": "tui_rest",
     "litescope": ["{bin}", "{data}/app_big.db"],
     "baseline": ["rainfrog", "--url", "sqlite://{data}/app_big.db?mode=ro&immutable=true"],
     "shell": ["sqlite3", "file:{data}/app_big.db?immutable=1"],
     "target": "at or under rainfrog's", "check": {"max_ratio": 1}},
    {"id": "tui-rss-rest-wide", "description": "TUI resident memory (VmRSS) 3 s after launch on the "
     "10,000-table database (bigdb.py --profile wide)", "run": "tui_rest",
     "litescope": ["{bin}", "{data}/app_wide.db"],
     "baseline": ["rainfrog", "--url", "sqlite://{data}/app_wide.db?mode=ro"],
     "shell": ["sqlite3", "file:{data}/app_wide.db?mode=ro"],
     "target": "at or under rainfrog's", "check": {"max_ratio": 1}},
    {"id": "tui-last-page-10m", "description": "`G` in the Data panel on a 10M-row table until its last id "
     "is on screen", "run": "tui_last_page", "litescope": ["{bin}", "{data}/rows10m.db"], "table": "events",
     "baseline": ["sqlite3", "{data}/rows10m.db", "SELECT * FROM events ORDER BY id DESC LIMIT 200"],
     "target": "under 50 ms", "check": {"max_ms": 50}},
    {"id": "tui-rss-paging-10m", "description": "TUI resident memory (VmRSS) after 200 PageDowns through a "
     "10M-row table", "run": "tui_paging", "litescope": ["{bin}", "{data}/rows10m.db"], "table": "events",
     "pages": 200, "baseline": ["sqlite3", "{data}/rows10m.db", "SELECT * FROM events LIMIT 40000"],
     "target": "under 100 MB", "check": {"max_mb": 100}},
    {"id": "tui-lag-p95", "description": "p95 key-to-frame lag (LITESCOPE_TRACE) of 50 j/k presses 100 ms "
     "apart while a long query runs on the 10M-row table", "run": "tui_lag",
     "litescope": ["{bin}", "{data}/rows10m.db"], "baseline": None,
     "query": "SELECT count(*) FROM events a JOIN events b ON b.id = a.user_id JOIN events c ON c.id = "
              "b.user_id JOIN events d ON d.id = c.user_id JOIN events e ON e.id = d.user_id",
     "target": "p95 under 50 ms", "check": {"max_ms": 50}},
    {"id": "tui-live-commit", "description": "TUI live watch: time from another process's commit to the new "
     "row count on the Overview (WAL database of 20 tables, 5,000 rows each; 20 commits 300 ms apart)",
     "run": "tui_live", "litescope": ["{bin}", "DB"], "baseline": None, "part": "latency",
     "target": "under 500 ms", "check": {"max_ms": 500}},
    {"id": "tui-live-flood", "description": "TUI live watch: frames drawn per second while another process "
     "commits 100 times a second for 5 s (same database)", "run": "tui_live", "litescope": ["{bin}", "DB"],
     "baseline": None, "part": "flood", "target": "at most 10 frames/s and 1 core",
     "check": {"max": 10, "max_cpu": 1.0}},
]

HEADER = ("| case | what | litescope median | baseline | baseline median | ratio | target "
          "| met? | peak RSS litescope / baseline (MB) | measured | notes |")
NOUNS = ["events", "orders", "users", "items", "payments", "sessions", "logs", "products", "invoices",
         "messages", "accounts", "shipments", "reviews", "tags", "devices", "files", "tasks", "notes"]
PRAGMAS = "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;\n"


def die(msg):
    sys.exit(f"bench: {msg}")


def sql(db, script):
    subprocess.run(["sqlite3", "-bail", str(db)], input=PRAGMAS + script, text=True, check=True,
                   stdout=subprocess.DEVNULL)


def query(db, q):
    return subprocess.run(["sqlite3", str(db), q], capture_output=True, text=True, check=True).stdout.strip()


def db_bytes(db):
    return int(query(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size"))


# ---------------------------------------------------------------- data generation

def big_layout(p):
    """Zipf-like byte shares: the first few tables hold most of the bytes; some tables stay empty."""
    n, e = p["tables"], p["empty_every"]
    weights = [0.0 if i % e == e - 1 else 1 / (i + 1) ** p["zipf_s"] for i in range(n)]
    tables = []
    for i, w in enumerate(weights):
        body = 40 + (i * 37) % 160                      # random bytes per row, stored as hex text
        rows = int(0.95 * p["target_bytes"] * w / sum(weights) / (2 * body + 90))
        parent = None if i % 3 == 2 else (i * 13 + 50) % n
        tables.append({"name": f"{NOUNS[i % len(NOUNS)]}_{i:03d}", "i": i, "body": body,
                       "rows": rows, "parent": None if parent == i else parent})
    return tables


def big_insert(t, tables, rows):
    cols = {"name": "hex(randomblob(8))", "qty": "abs(random()) % 1000",
            "price": "abs(random() % 100000) / 100.0", "created": "1600000000 + abs(random()) % 100000000",
            "body": f"hex(randomblob({t['body']}))"}
    if t["parent"] is not None:
        prow = tables[t["parent"]]["rows"]
        cols["parent_id"] = f"abs(random()) % {prow} + 1" if prow else "NULL"
    if t["i"] % 3:
        cols["status"] = "CASE abs(random()) % 3 WHEN 0 THEN 'active' WHEN 1 THEN 'archived' ELSE 'new' END"
    if t["i"] % 3 == 2:
        cols["flags"] = "abs(random()) % 256"
    return (f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {rows})\n"
            f"INSERT INTO {t['name']}({', '.join(cols)}) SELECT {', '.join(cols.values())} FROM c;\n")


def big_table_sql(t, tables):
    name, i = t["name"], t["i"]
    cols = ["id INTEGER PRIMARY KEY"]
    if t["parent"] is not None:
        cols.append(f"parent_id INTEGER REFERENCES {tables[t['parent']]['name']}(id)")
    cols += ["name TEXT NOT NULL", "qty INTEGER", "price REAL", "created INTEGER", "body TEXT"]
    cols += ["status TEXT"] if i % 3 else []
    cols += ["flags INTEGER"] if i % 3 == 2 else []
    out = f"BEGIN;\nCREATE TABLE {name} (\n  " + ",\n  ".join(cols) + "\n);\n"
    if t["rows"]:
        out += big_insert(t, tables, t["rows"])
    if t["parent"] is not None and i % 2 == 0:          # odd tables leave their foreign key unindexed
        out += f"CREATE INDEX {name}_parent ON {name}(parent_id);\n"
    if i % 4 == 0:
        out += f"CREATE INDEX {name}_name ON {name}(name);\n"
    if i % 5 == 1:
        out += f"CREATE INDEX {name}_created ON {name}(created, qty);\n"
    return out + "COMMIT;\n"


def gen_big(db, p):
    """~target_bytes over p['tables'] tables; no ANALYZE, so there is deliberately no sqlite_stat1."""
    tables, t0, first = big_layout(p), time.perf_counter(), 0
    for t in tables:
        sql(db, big_table_sql(t, tables))
        if t["i"] == 0:
            first = db_bytes(db)
        if t["rows"] >= 100_000 or t["i"] % 25 == 0 or t["i"] == len(tables) - 1:
            print(f"  {t['name']}: {t['rows']:,} rows, file {db_bytes(db) / 1e6:,.0f} MB "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    size, extra = db_bytes(db), 0
    if size < 0.99 * p["target_bytes"]:                 # top up the biggest table to reach the target
        t = tables[0]
        extra = int((p["target_bytes"] - size) / (first / max(t["rows"], 1)))
        sql(db, "BEGIN;\n" + big_insert(t, tables, extra) + "COMMIT;\n")
        print(f"  top-up {t['name']}: +{extra:,} rows, file {db_bytes(db) / 1e6:,.0f} MB", flush=True)
    assert query(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'") == "0"
    return counted(db, sum(t["rows"] for t in tables) + extra)


def gen_big_wal(db, p):
    """big.db, copied and switched to WAL mode (with an empty -wal once the shell closes it)."""
    ensure("big.db")
    shutil.copyfile(DATA / "big.db", db)
    sql(db, "PRAGMA journal_mode=WAL;")
    return {k: load_stamp()["big.db"][k] for k in ("tables", "indexes", "rows")}


def gen_tables10k(db, p):
    types = ["TEXT", "INTEGER", "REAL", "TEXT", "BLOB"]
    vals = {"TEXT": "hex(randomblob(6))", "INTEGER": "abs(random()) % 1000",
            "REAL": "abs(random() % 10000) / 100.0", "BLOB": "randomblob(8)"}
    chunk, t0, rows = [], time.perf_counter(), 0
    for i in range(p["tables"]):
        name = f"{NOUNS[i % len(NOUNS)]}_{i:05d}"
        cols = [(f"c{j}", types[(i + j) % len(types)]) for j in range(2 + i % 4)]   # 3-6 with id
        chunk.append(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, "
                     + ", ".join(f"{c} {ty}" for c, ty in cols) + ");")
        if i % p["index_every"] == 0:
            chunk.append(f"CREATE INDEX {name}_c0 ON {name}(c0);")
        n = 0 if i % p["empty_every"] == 0 else 1 + i % p["max_rows"]
        if n:
            rows += n
            chunk.append(f"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {n}) "
                         f"INSERT INTO {name}({', '.join(c for c, _ in cols)}) "
                         f"SELECT {', '.join(vals[ty] for _, ty in cols)} FROM r;")
        if (i + 1) % 1000 == 0 or i + 1 == p["tables"]:
            sql(db, "BEGIN;\n" + "\n".join(chunk) + "\nCOMMIT;\n")
            chunk = []
            print(f"  {i + 1:,} tables ({time.perf_counter() - t0:.0f} s)", flush=True)
    return counted(db, rows)


def gen_tables10k_b(db, p):
    """tables10k.db copied, then changed a little: what the schema diff has to find."""
    source = ensure("tables10k.db")
    shutil.copyfile(DATA / "tables10k.db", db)
    dropped = int(query(db, "SELECT count(*) FROM items_00003"))
    sql(db, "BEGIN;\n"
            "ALTER TABLE events_00000 ADD COLUMN note TEXT;\n"
            "ALTER TABLE orders_00001 ADD COLUMN qty INTEGER NOT NULL DEFAULT 0;\n"
            "PRAGMA writable_schema = ON;\n"
            "UPDATE sqlite_schema SET sql = replace(sql, 'c0 INTEGER', 'c0 BIGINT') WHERE name = 'logs_00006';\n"
            "PRAGMA writable_schema = OFF;\n"
            "DROP TABLE items_00003;\n"
            "CREATE TABLE added_table (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
            "DROP INDEX accounts_00010_c0;\n"
            "CREATE INDEX accounts_00010_c0 ON accounts_00010(c0) WHERE c0 IS NOT NULL;\n"
            "COMMIT;\n")
    return counted(db, source["rows"] - dropped)


def gen_files10k(folder, p):
    """A folder of small databases, each with a users and a posts table and a few rows."""
    folder.mkdir()
    template = folder / "template.sqlite3"
    sql(template, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);\n"
        + series(20, "INSERT INTO users(name) SELECT printf('user %d', n)")
        + series(50, "INSERT INTO posts(user_id, body) SELECT n % 20 + 1, printf('post %d', n)"))
    for i in range(p["files"]):
        shutil.copyfile(template, folder / f"service{i:05d}.db")
    template.unlink()
    return {"tables": 2 * p["files"], "indexes": 0, "rows": 70 * p["files"]}


def gen_migrations1k(folder, p):
    """An sqlx folder of small migrations and, beside them, app.db with every one applied and recorded
    as sqlx records it (SHA-384 of the file's bytes as the checksum)."""
    import hashlib
    folder.mkdir()
    rows = []
    for i in range(1, p["migrations"] + 1):
        version = 20240101000000 + i
        body = f"CREATE TABLE t{i:04d} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at TEXT);\n"
        (folder / f"{version}_create_t{i:04d}.sql").write_text(body)
        rows.append((version, f"create t{i:04d}", hashlib.sha384(body.encode()).hexdigest(), body))
    script = ["BEGIN;", "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, "
              "installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, "
              "checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);"]
    for version, description, digest, body in rows:
        script.append(body.strip())
        script.append(f"INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) "
                      f"VALUES ({version}, '{description}', 1, X'{digest}', 100000);")
    script.append("COMMIT;")
    sql(folder / "app.db", "\n".join(script) + "\n")
    return {"tables": p["migrations"] + 1, "indexes": 0, "rows": p["migrations"]}


def gen_migrations500(folder, p):
    """An sqlx folder of small migrations, an empty database to apply them to, and apply.sql, the
    sqlite3 shell's `.read` of every file in order (the baseline: the same SQL in one process)."""
    (folder / "migrations").mkdir(parents=True)
    reads = []
    for i in range(1, p["migrations"] + 1):
        name = f"{20240101000000 + i}_step{i:04d}.sql"
        body = (f"CREATE TABLE s{i:04d} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, at TEXT);\n"
                f"INSERT INTO s{i:04d} (name, at) VALUES ('a', '2026-01-01'), ('b', '2026-01-02');\n"
                f"CREATE INDEX s{i:04d}_name ON s{i:04d} (name);\n")
        (folder / "migrations" / name).write_text(body)
        reads.append(f".read bench/data/migrations500/migrations/{name}")
    (folder / "apply.sql").write_text("\n".join(reads) + "\n")
    sql(folder / "empty.db", "PRAGMA user_version = 0;\nVACUUM;\n")
    return {"tables": p["migrations"], "indexes": p["migrations"], "rows": 2 * p["migrations"]}


def workload_statement(k, t, tables):
    """Statement k of the workload, on table t: one of eight shapes an application issues, some
    served by the table's indexes, most not."""
    name, shape = t["name"], k % 8
    parent = tables[t["parent"]]["name"] if t["parent"] is not None else None
    if shape == 1 and t["i"] % 3:
        return f"SELECT id, price FROM {name} WHERE status = ? ORDER BY created DESC"
    if shape == 2 and parent:
        return f"SELECT * FROM {name} WHERE parent_id = ?{k % 100}"
    if shape == 4 and parent:
        return (f"SELECT c.id, p.name FROM {name} AS c JOIN {parent} AS p ON p.id = c.parent_id "
                f"WHERE p.name = :name")
    return [f"SELECT * FROM {name} WHERE name = ?",
            f"SELECT id, qty FROM {name} WHERE qty > ? ORDER BY price",
            f"SELECT * FROM {name} WHERE id = ?",
            f"SELECT count(*) FROM {name} WHERE created BETWEEN @lo AND @hi",
            f"SELECT * FROM {name} WHERE name = ? AND qty < 10",
            f"UPDATE {name} SET qty = qty + 1 WHERE name = $name",
            f"SELECT DISTINCT status FROM {name} ORDER BY status" if t["i"] % 3 else f"SELECT max(price) FROM {name}",
            f"DELETE FROM {name} WHERE created < ?"][shape]


def gen_workload1k(folder, p):
    """workload.sql: statements over big.db's tables (its layout, not its file), and expert.sql, the
    same statements each after `.expert`, for the shell to advise one by one."""
    tables = big_layout(p["of"])
    stmts = [workload_statement(k, tables[(k * 7) % len(tables)], tables) for k in range(p["statements"])]
    folder.mkdir()
    (folder / "workload.sql").write_text("-- generated by bench/run.py\n" + ";\n".join(stmts) + ";\n")
    (folder / "expert.sql").write_text("".join(f".expert\n{q};\n" for q in stmts))
    return {"tables": 0, "indexes": 0, "rows": p["statements"]}


def gen_app_big(db, p):
    """`bigdb.py --profile big` (about 1 GB in 200 tables, analyzed, left in WAL mode) or
    `--profile wide` (10,000 small tables)."""
    if not BIGDB.is_file():
        die(f"{BIGDB} not found (the shared generator of application-shaped databases)")
    subprocess.run([sys.executable, str(BIGDB), "--profile", p["profile"], "--out", str(db)], check=True)
    # One connection for every count: a shell per table costs minutes on 10,000 tables.
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        rows = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    return counted(db, rows)


def counted(db, rows):
    """The stamp's summary of a generated database."""
    return {"tables": int(query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'")),
            "indexes": int(query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'")),
            "rows": rows}


def series(n, insert):
    """`insert` fed by n = 1..n from a recursive CTE (the shell's fastest way to make rows)."""
    return f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n})\n{insert} FROM c;\n"


def gen_rows10m(db, p):
    """One big table of small rows (about 55 bytes each) plus a small users table, in one transaction."""
    kinds = "CASE n % 4 WHEN 0 THEN 'click' WHEN 1 THEN 'view' WHEN 2 THEN 'buy' ELSE 'login' END"
    sql(db, "BEGIN;\n"
        "CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER, kind TEXT, payload TEXT, at TEXT);\n"
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created TEXT);\n"
        + series(p["rows"], f"INSERT INTO events SELECT n, abs(random()) % {p['users']} + 1, {kinds}, "
                 "hex(randomblob(8)), strftime('%Y-%m-%dT%H:%M:%S', 1600000000 + n * 3, 'unixepoch')")
        + series(p["users"], "INSERT INTO users SELECT n, 'user ' || n, "
                 "strftime('%Y-%m-%d', 1500000000 + n * 8640, 'unixepoch')")
        + "COMMIT;\n")
    return counted(db, p["rows"] + p["users"])


def spread(n, modulus):
    """A deterministic scatter of n over 1..modulus (so orphan counts are known exactly)."""
    return f"(({n}) * 2654435761) % {modulus} + 1"


def gen_orphans(db, p):
    """child.parent_id -> parent.id is declared; child.account_id -> account.id is only inferable by
    name. Every orphan_every-th child misses its parent and (offset) its account; every
    null_every-th has a NULL parent_id. parent.code is unique-valued and deliberately unindexed."""
    e, np, na = p["orphan_every"], p["parents"], p["accounts"]
    sql(db, "BEGIN;\n"
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT);\n"
        "CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created INTEGER);\n"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id),\n"
        "  account_id INTEGER, amount REAL, note TEXT);\n"
        + series(np, f"INSERT INTO parent SELECT n, printf('P%07d', {spread('n', np)}), 'parent ' || n")
        + series(na, "INSERT INTO account SELECT n, 'account ' || n, 1600000000 + n")
        + series(p["children"], "INSERT INTO child SELECT n, "
                 f"CASE WHEN n % {p['null_every']} = {p['null_every'] // 2} THEN NULL "
                 f"WHEN n % {e} = 7 THEN {np} + n ELSE {spread('n', np)} END, "
                 f"CASE WHEN n % {e} = 13 THEN {na} + n ELSE {spread('n + 1', na)} END, "
                 "(n % 100000) / 100.0, hex(randomblob(4))")
        + "COMMIT;\n")
    return counted(db, np + na + p["children"])


def gen_orphans_text(db, p):
    """A declared foreign key onto a TEXT column with no index: SQLite accepts the declaration (it
    only complains, "foreign key mismatch", when enforcing or checking it)."""
    e, np = p["orphan_every"], p["parents"]
    sql(db, "BEGIN;\n"
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT);\n"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_code TEXT REFERENCES parent(code), amount REAL);\n"
        + series(np, f"INSERT INTO parent SELECT n, printf('P%07d', {spread('n', np)}), 'parent ' || n")
        + series(p["children"], "INSERT INTO child SELECT n, "
                 f"CASE WHEN n % {e} = 7 THEN printf('Q%07d', n) ELSE printf('P%07d', {spread('n', np)}) END, "
                 "(n % 100000) / 100.0")
        + "COMMIT;\n")
    return counted(db, np + p["children"])


DATASETS = {"big.db": (BIG, gen_big), "big_wal.db": ({"version": 1, "of": BIG}, gen_big_wal), "tables10k.db": (TABLES10K, gen_tables10k),
            "tables10k_b.db": (TABLES10K_B, gen_tables10k_b),
            "rows10m.db": (ROWS10M, gen_rows10m), "orphans.db": (ORPHANS, gen_orphans),
            "orphans_text.db": (ORPHANS_TEXT, gen_orphans_text), "files10k": (FILES10K, gen_files10k),
            "migrations1k": (MIGRATIONS1K, gen_migrations1k),
            "migrations500": (MIGRATIONS500, gen_migrations500),
            "workload1k": (WORKLOAD1K, gen_workload1k),
            "app_big.db": (APP_BIG, gen_app_big), "app_wide.db": (APP_WIDE, gen_app_big)}


def load_stamp():
    try:
        return json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}


def size_of(path):
    """Bytes of a file, or of every file in a folder."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.iterdir())
    return path.stat().st_size


def ensure(name):
    """Reuse bench/data/<name> if its stamp matches the parameters and its size; else regenerate."""
    params, gen = DATASETS[name]
    path, entry = DATA / name, load_stamp().get(name)
    if entry and entry["params"] == params and path.exists() and size_of(path) == entry["bytes"]:
        return entry
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(name + ".tmp")
    shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink(missing_ok=True)
    if path.is_dir():
        shutil.rmtree(path)
    print(f"generating bench/data/{name} {params}", flush=True)
    t0 = time.perf_counter()
    info = gen(tmp, params)
    os.replace(tmp, path)
    entry = {"params": params, "bytes": size_of(path), **info,
             "seconds": round(time.perf_counter() - t0, 1)}
    print(f"  done: {entry['bytes'] / 1e6:,.1f} MB in {entry['seconds']} s", flush=True)
    stamp = load_stamp()
    stamp[name] = entry
    STAMP.write_text(json.dumps(stamp, indent=2) + "\n")
    return entry


# ---------------------------------------------------------------- timing

def run_once(argv, timeout=None):
    """Wall time (ms), exit code and stderr of one run; stdout goes to /dev/null. Past `timeout`
    seconds the command and everything it started (`/usr/bin/time`'s child) are killed, so that
    nothing keeps running into later measurements, and the exit code is None."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return (time.perf_counter() - t0) * 1000, None, ""
    return (time.perf_counter() - t0) * 1000, proc.returncode, err.decode(errors="replace")


def failure(code, err):
    last = (err.strip().splitlines() or [""])[-1][:120]
    return {"error": f"exit {code}: {last}"}


def measure(argv, runs, timeout=None, ok=(0,)):
    """Median and min of `runs` timed runs after one untimed warm-up, which also measures peak RSS
    through /usr/bin/time when present (getrusage from Python would count the forked interpreter).
    A run past `timeout` seconds ends the measurement with {"over": timeout}."""
    with tempfile.NamedTemporaryFile("r") as out:
        gnu_time = ["/usr/bin/time", "-f", "%M", "-o", out.name] if os.access("/usr/bin/time", os.X_OK) else []
        times = []
        for k in range(runs + 1):                       # run 0 is the warm-up
            ms, code, err = run_once((gnu_time if k == 0 else []) + argv, timeout)
            if code is None:
                return {"over": timeout}
            if code not in ok:
                return failure(code, err)
            times += [ms] if k else []
        rss = out.read().strip().splitlines()
    return {"median": statistics.median(times), "min": min(times), "unit": "ms",
            "rss_mb": int(rss[-1]) / 1024 if rss and rss[-1].isdigit() else None}


def measure_rss(argv, runs):
    """Peak RSS (MB) of `runs` runs through /usr/bin/time, as median and min."""
    if not os.access("/usr/bin/time", os.X_OK):
        return {"error": "/usr/bin/time not found (Debian: apt install time)"}
    mbs = []
    with tempfile.NamedTemporaryFile("r") as out:
        for _ in range(runs):
            ms, code, err = run_once(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv)
            if code != 0:
                return failure(code, err)
            out.seek(0)
            mbs.append(int(out.read().strip().splitlines()[-1]) / 1024)
    return {**stats(mbs, "MB"), "rss_mb": statistics.median(mbs)}


def stats(values, unit):
    return {"median": statistics.median(values), "min": min(values), "unit": unit}


def num(x):
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_value(m):
    if m is None:
        return "—"
    if "error" in m:
        return f"failed ({m['error']})".replace("|", "/")
    if "over" in m:
        return f"> {m['over']} s"
    return f"{num(m['median'])} {m['unit']} (min {num(m['min'])})"


def fmt_ratio(r):
    return "<0.001" if r < 0.001 else f"{r:.3f}" if r < 1 else f"{r:.2f}"


def shown(argv):
    return " ".join(a.replace("{data}/", "").replace("{bin}", "litescope") for a in argv)


def valid(m):
    return m is not None and "median" in m


def table_row(case, lite, base, notes, today):
    ratio = lite["median"] / base["median"] if valid(lite) and valid(base) else None
    check, met = case.get("check"), "n/a"
    if check and valid(lite) and (ratio is not None or "max_ratio" not in check):
        limit = check.get({"ms": "max_ms", "MB": "max_mb"}.get(lite["unit"], "max"), float("inf"))
        within = lite["median"] <= limit and lite.get("cpu", 0) <= check.get("max_cpu", float("inf"))
        met = "yes" if within and (ratio or 0) <= check.get("max_ratio", float("inf")) else "NO"
    elif check:
        met = "failed"
    mb = lambda m: "-" if not m or m.get("rss_mb") is None else f"{m['rss_mb']:.{1 if m['rss_mb'] < 10 else 0}f}"
    baseline = "—" if case["baseline"] is None else f"`{shown(case['baseline'])}`"
    if "relations" in case:
        baseline += " + the fastest hand-written query per relation (see notes)"
    if case.get("run") == "orphans_summed":
        baseline += " + the `NOT EXISTS` count of every declared foreign key, in one process"
    cells = [f"`{case['id']}`", f"{case['description']} (`{shown(case['litescope'])}`)", fmt_value(lite),
             baseline, fmt_value(base), fmt_ratio(ratio) if ratio is not None else "-",
             case["target"], met, f"{mb(lite)} / {mb(base)}", today, "; ".join(notes).replace("|", "/")]
    return "| " + " | ".join(cells) + " |"


# ---------------------------------------------------------------- cases

def run_command(case, ctx):
    """The default: litescope's argv against the baseline's argv."""
    return (measure(ctx.argv(case["litescope"]), ctx.runs),
            measure(ctx.argv(case["baseline"]), ctx.runs), [])


def run_diff(case, ctx):
    """A command whose exit 1 means "they differ", not a failure; the baseline under the case's
    timeout (sqldiff --schema compares table by table and can take minutes)."""
    return (measure(ctx.argv(case["litescope"]), ctx.runs, ok=(0, 1)),
            measure(ctx.argv(case["baseline"]), ctx.runs, case.get("timeout")), [])


def run_watch(case, ctx):
    """Commit-to-line latency of `litescope watch` on a WAL database, and its CPU use under a
    writer committing 100 times a second for 5 s (lines drained meanwhile)."""
    import sqlite3, threading, queue
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "app.db"
        app = sqlite3.connect(db, isolation_level=None)
        app.executescript("PRAGMA journal_mode = WAL; CREATE TABLE events (id INTEGER PRIMARY KEY, v);")
        argv = [a.replace("DB", str(db)) for a in ctx.argv(case["litescope"])]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proc.stderr.readline()                      # "watching 1 database(s)"
            lines = queue.Queue()
            threading.Thread(target=lambda: [lines.put(time.perf_counter()) for _ in proc.stdout],
                             daemon=True).start()
            waits = []
            for i in range(20):
                time.sleep(0.3)
                t0 = time.perf_counter()
                app.execute("INSERT INTO events (v) VALUES (?)", (i,))
                waits.append((lines.get(timeout=5) - t0) * 1000)
            cpu0, t0, commits = tui.cpu_seconds(proc.pid), time.perf_counter(), 0
            while time.perf_counter() - t0 < 5:
                app.execute("INSERT INTO events (v) VALUES (1)")
                commits += 1
                time.sleep(max(0.0, t0 + commits / 100 - time.perf_counter()))
            cpu = (tui.cpu_seconds(proc.pid) - cpu0) / (time.perf_counter() - t0)
        finally:
            proc.kill()
            proc.wait()
    waits.sort()
    notes = [f"p95 {num(p95(waits))} ms", f"CPU {cpu:.0%} of one core while a writer committed "
             f"{commits} times in 5 s (100/s)"]
    return {**stats(waits, "ms")}, None, notes


ORPHAN_SQL = {
    "LEFT JOIN": "SELECT count(*) FROM {c} AS c LEFT JOIN {p} AS p ON p.{pk} = c.{fk} "
                 "WHERE c.{fk} IS NOT NULL AND p.{pk} IS NULL",
    "NOT EXISTS": "SELECT count(*) FROM {c} AS c WHERE c.{fk} IS NOT NULL "
                  "AND NOT EXISTS (SELECT 1 FROM {p} AS p WHERE p.{pk} = c.{fk})",
    "foreign_key_check": "PRAGMA foreign_key_check({c})",
}


def run_orphans(case, ctx):
    """litescope orphans against, per relation, the fastest of LEFT JOIN / NOT EXISTS (and
    PRAGMA foreign_key_check for a declared relation), summed over relations. Also checks that
    litescope found every relation and that its counts agree with the LEFT JOIN's."""
    lite, notes, found = measure(ctx.argv(case["litescope"]), ctx.runs), [], {}
    if valid(lite):                                     # once more, for its counts
        out = subprocess.run(ctx.argv(case["litescope"]), cwd=ROOT, capture_output=True, text=True,
                             timeout=600, check=True)
        found = {(r["child"], tuple(r["columns"]), r["parent"]): r for r in json.loads(out.stdout)["relations"]}
    db, total, total_min, rss = ctx.argv(case["baseline"])[1], 0.0, 0.0, 0.0
    for label, (child, fk, parent, pk, declared) in case["relations"].items():
        methods = {k: v for k, v in ORPHAN_SQL.items() if declared or k != "foreign_key_check"}
        times = {}
        for name, q in methods.items():
            times[name] = measure(["sqlite3", db, q.format(c=child, p=parent, fk=fk, pk=pk)], ctx.runs,
                                  case.get("timeout"))
        ok = {k: m for k, m in times.items() if valid(m)}
        if not ok:
            return lite, {"error": f"no hand-written query finished for {label}"}, notes
        best = min(ok, key=lambda k: ok[k]["median"])
        total, total_min = total + ok[best]["median"], total_min + ok[best]["min"]
        rss = max(rss, ok[best]["rss_mb"] or 0)
        expected = query(ROOT / db, ORPHAN_SQL["LEFT JOIN"].format(c=child, p=parent, fk=fk, pk=pk))
        rel = found.get((child, (fk,), parent))
        if rel is None:
            got = "not in litescope's output"
        elif str(rel["orphans"]) == expected:
            got = "litescope agrees"
        else:
            got = f"litescope counts {rel['orphans']} ({rel['error'] or 'no error'})"
        notes.append(f"{label}: {expected} orphans, {got}; fastest {best}; "
                     + ", ".join(f"{k} {fmt_value(m).split(' (')[0]}" for k, m in times.items()))
    return lite, {**stats([total], "ms"), "min": total_min, "rss_mb": rss or None}, notes


def declared_keys(db):
    """(child, [columns], parent, [parent columns]) of every declared foreign key of `db`; a key
    that names no parent columns references the parent's primary key."""
    rows = query(db, "SELECT m.name, f.id, f.\"table\", f.\"from\", coalesce(f.\"to\", '') "
                     "FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
                     "ORDER BY m.name, f.id, f.seq")
    keys = {}
    for line in rows.splitlines():
        child, fid, parent, col, pcol = line.split("|")
        key = keys.setdefault((child, fid), (child, [], parent, []))
        key[1].append(col)
        key[3].append(pcol)
    for child, cols, parent, pcols in keys.values():
        if not all(pcols):
            pcols[:] = query(db, f"SELECT name FROM pragma_table_info('{parent}') WHERE pk > 0 "
                                 "ORDER BY pk").split()
    return list(keys.values())


def not_exists_sql(child, cols, parent, pcols):
    q = lambda name: '"' + name.replace('"', '""') + '"'
    present = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in cols)
    on = " AND ".join(f"p.{q(pc)} = c.{q(c)}" for c, pc in zip(cols, pcols))
    return (f"SELECT count(*) FROM {q(child)} AS c WHERE {present} "
            f"AND NOT EXISTS (SELECT 1 FROM {q(parent)} AS p WHERE {on});")


def run_orphans_summed(case, ctx):
    """litescope orphans against one sqlite3 process running the `NOT EXISTS` count of every
    declared foreign key (built from the file's own declarations); the notes check that every
    count agrees, say how litescope counted each relation, and time `PRAGMA foreign_key_check`."""
    argv, db = ctx.argv(case["litescope"]), ctx.argv(case["baseline"])[1]
    keys = declared_keys(ROOT / db)
    script = "\n".join(not_exists_sql(*k) for k in keys)
    lite = measure(argv, ctx.runs)
    base = measure(ctx.argv(case["baseline"]) + [script], ctx.runs)
    notes = [f"{len(keys)} declared relations"]
    if valid(lite) and valid(base):
        out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
        rels = json.loads(out.stdout)["relations"]
        found = {(r["child"], tuple(r["columns"]), r["parent"]): r for r in rels if r["declared"]}
        hand = query(ROOT / db, script).split()
        wrong = [f"{c}({','.join(cs)}): hand {n}, litescope {found.get((c, tuple(cs), p), {}).get('orphans')}"
                 for (c, cs, p, _), n in zip(keys, hand)
                 if str(found.get((c, tuple(cs), p), {}).get("orphans")) != n]
        notes.append(f"{sum(map(int, hand))} orphans in all; "
                     + ("every count agrees with the hand query" if not wrong else "DISAGREE: " + "; ".join(wrong)))
        methods = {}
        for r in found.values():
            methods.setdefault(r.get("method") or "none", []).append(f"{r['child']}.{','.join(r['columns'])}")
        notes.append("method per relation: " + ", ".join(
            f"{m} {len(v)}" + (f" ({', '.join(v[:4])}{', …' if len(v) > 4 else ''})" if m != "index" else "")
            for m, v in sorted(methods.items())))
    fkc = measure(ctx.argv(case["baseline"]) + ["PRAGMA foreign_key_check"], min(ctx.runs, 2))
    notes.append(f"PRAGMA foreign_key_check: {fmt_value(fkc)}")
    return lite, base, notes


def run_migrate_up(case, ctx):
    """Each run (and the warm-up) on its own fresh copy of the empty database, for both commands,
    since applying changes the file; the copies go in a temporary folder with their backups."""
    def timed(argv):
        times = []
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(ctx.runs + 1):
                db = Path(tmp) / f"run{k}" / "app.db"
                db.parent.mkdir()
                shutil.copyfile(DATA / "migrations500" / "empty.db", db)
                ms, code, err = run_once([a.replace("{db}", str(db)) for a in ctx.argv(argv)], 60)
                if code is None:
                    return {"over": 60}
                if code != 0:
                    return failure(code, err)
                times += [ms] if k else []
        return {"median": statistics.median(times), "min": min(times), "unit": "ms", "rss_mb": None}
    return timed(case["litescope"]), timed(case["baseline"]), []


def tui_runs(ctx, scenario, *args, **kw):
    """One warm-up and ctx.runs timed runs of a bench/tui.py scenario, each in a fresh session."""
    with tui.Server() as server:
        scenario(server, *args, **kw)
        return [scenario(server, *args, **kw) for _ in range(ctx.runs)]


def table_names(path):
    """What the first screen shows of `path`: a database's table names, or a folder's file names."""
    if path.is_dir():
        return sorted(f.name for f in path.iterdir())[:20]
    return query(path, "SELECT name FROM sqlite_schema WHERE type = 'table'").split()


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def run_tui_start(case, ctx):
    argv = ctx.argv(case["litescope"])
    runs = tui_runs(ctx, tui.start, argv, ROOT, table_names(ROOT / argv[-1]), later_s=0)
    lite = {**stats([r["ms"] for r in runs], "ms"), "rss_mb": median_of(runs, "hwm_mb")}
    notes = [f"in-process ready_ms (LITESCOPE_TRACE) median {num(median_of(runs, 'ready_ms'))} "
             f"(min {num(min(r['ready_ms'] for r in runs))})",
             f"screen polled with tmux capture-pane every {num(median_of(runs, 'poll_ms'))} ms"]
    return lite, measure(ctx.argv(case["baseline"]), ctx.runs), notes


def run_tui_quit(case, ctx):
    argv = ctx.argv(case["litescope"])
    runs = tui_runs(ctx, tui.quit_at_start, argv, ROOT, table_names(ROOT / argv[-1]))
    lite = {**stats([r["ms"] for r in runs], "ms"), "rss_mb": median_of(runs, "hwm_mb")}
    notes = [f"names on screen after {num(median_of(runs, 'start_ms'))} ms (median); exit seen by polling "
             f"tmux every {num(median_of(runs, 'poll_ms'))} ms"]
    return lite, None, notes


def run_tui_rss_start(case, ctx):
    argv = ctx.argv(case["litescope"])
    runs = tui_runs(ctx, tui.start, argv, ROOT, table_names(ROOT / argv[-1]), later_s=2)
    lite = {**stats([r["rss_mb"] for r in runs], "MB"), "rss_mb": median_of(runs, "hwm_later_mb")}
    notes = [f"2 s later (background measuring) VmRSS median {num(median_of(runs, 'rss_later_mb'))} MB, "
             f"VmHWM {num(median_of(runs, 'hwm_later_mb'))} MB",
             f"names on screen after {num(median_of(runs, 'ms'))} ms"]
    return lite, measure_rss(ctx.argv(case["baseline"]), ctx.runs), notes


def run_tui_rest(case, ctx):
    """VmRSS 3 s after launch of litescope, rainfrog (the baseline) and the sqlite3 shell (after
    `.tables`) on the same file; the peak column holds each one's VmHWM then. rainfrog is
    optional: where it is not installed its row says so."""
    argv = ctx.argv(case["litescope"])
    names = table_names(ROOT / argv[-1])

    def rest(argv, typed=None):
        runs = tui_runs(ctx, tui.at_rest, argv, ROOT, names, typed=typed)
        return {**stats([r["rss_mb"] for r in runs], "MB"), "rss_mb": median_of(runs, "hwm_mb")}
    lite = rest(argv)
    base = (rest(ctx.argv(case["baseline"])) if shutil.which(case["baseline"][0])
            else {"error": f"{case['baseline'][0]} not installed"})
    shell = rest(ctx.argv(case["shell"]), typed=".tables")
    notes = [f"`{shown(case['shell'])}` after `.tables`: VmRSS {fmt_value(shell)}, VmHWM {num(shell['rss_mb'])} MB"
             if valid(shell) else f"sqlite3 shell: {fmt_value(shell)}",
             "peak column: VmHWM at the same time"]
    return lite, base, notes


def run_tui_last_page(case, ctx):
    argv = ctx.argv(case["litescope"])
    last = int(query(ROOT / argv[-1], f"SELECT max(rowid) FROM {case['table']}"))
    runs = tui_runs(ctx, tui.last_page, argv, ROOT, case["table"], last)
    notes = [f"G right after the first page, while the background measuring pass runs; once it is done "
             f"G takes {num(median_of(runs, 'idle_ms'))} ms (median)",
             f"lag_ms of the G key (first frame after it) median {num(median_of(runs, 'lag_ms'))}",
             f"screen polled every {num(median_of(runs, 'poll_ms'))} ms"]
    lite = {**stats([r["ms"] for r in runs], "ms"), "rss_mb": median_of(runs, "hwm_mb")}
    return lite, measure(ctx.argv(case["baseline"]), ctx.runs), notes


def run_tui_paging(case, ctx):
    argv = ctx.argv(case["litescope"])
    runs = tui_runs(ctx, tui.paging, argv, ROOT, case["table"], case["pages"], 200)
    lite = {**stats([r["rss_mb"] for r in runs], "MB"), "rss_mb": median_of(runs, "hwm_mb")}
    notes = [f"VmHWM median {num(median_of(runs, 'hwm_mb'))} MB",
             f"{case['pages']} PageDowns, each sent once the page before is on screen: "
             f"{num(median_of(runs, 'page_ms'))} ms per page (median), {num(median_of(runs, 'ms'))} ms in all"]
    return lite, measure_rss(ctx.argv(case["baseline"]), ctx.runs), notes


def p95(values):
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def run_tui_lag(case, ctx):
    argv = ctx.argv(case["litescope"])
    runs = tui_runs(ctx, tui.lag_during_query, argv, ROOT, case["query"])
    every = [x for r in runs for x in r["lags"]]
    lite = {**stats([p95(r["lags"]) for r in runs], "ms"), "rss_mb": median_of(runs, "hwm_mb")}
    notes = [f"p95 per run; over all {len(every)} keys p50 {num(statistics.median(every))}, "
             f"p95 {num(p95(every))}, max {num(max(every))} ms", f"query: {case['query']}"]
    return lite, None, notes


def live_db(path, tables=20, rows=5000):
    """A WAL database like a small application's: `tables` tables of `rows` rows and `events`."""
    script = "".join(f"CREATE TABLE t{k} (id INTEGER PRIMARY KEY, name TEXT, n INTEGER);"
                     f"INSERT INTO t{k} (name, n) SELECT 'row ' || value, value FROM generate_series(1, {rows});"
                     for k in range(tables))
    sql(path, "PRAGMA journal_mode = WAL; CREATE TABLE events (id INTEGER PRIMARY KEY, v);" + script)


def run_tui_live(case, ctx):
    """A fresh database per run (commits pile up in it); one scenario gives both live rows' values."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp, tui.Server() as server:
        for k in range(ctx.runs + 1):                   # the first is the warm-up
            db = Path(tmp) / f"live{k}.db"
            live_db(db)
            argv = [a.replace("DB", str(db)) for a in ctx.argv(case["litescope"])]
            runs.append(tui.live(server, argv, ROOT, db))
    runs = runs[1:]
    hwm = median_of(runs, "hwm_mb")
    if case["part"] == "latency":
        waits = sorted(w for r in runs for w in r["waits"])
        notes = [f"over all {len(waits)} commits p95 {num(p95(waits))}, max {num(max(waits))} ms",
                 f"screen polled every {num(median_of(runs, 'poll_ms'))} ms"]
        return {**stats([statistics.median(r["waits"]) for r in runs], "ms"), "rss_mb": hwm}, None, notes
    notes = [f"CPU median {median_of(runs, 'cpu'):.0%} of one core (max {max(r['cpu'] for r in runs):.0%})",
             f"{median_of(runs, 'commits'):.0f} commits in 5 s",
             f"last count on screen {num(median_of(runs, 'settle_ms'))} ms after the writes stopped"]
    lite = {**stats([r["fps"] for r in runs], "frames/s"), "rss_mb": hwm,
            "cpu": max(r["cpu"] for r in runs)}
    return lite, None, notes


def timed_into_fresh_folder(argv, runs):
    """Like `measure`, but each run gets an empty folder for `{out}`, removed (untimed) after it,
    so that no run finds another's files or fills the disk."""
    times = []
    for k in range(runs + 1):                           # run 0 is the warm-up
        out = Path(tempfile.mkdtemp(prefix="bench-backup-", dir=DATA))
        try:
            ms, code, err = run_once([a.replace("{out}", str(out)) for a in argv])
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if code != 0:
            return failure(code, err)
        times += [ms] if k else []
    return {**stats(times, "ms"), "rss_mb": None}


def run_backup(case, ctx):
    """litescope backup create against cp + fsync; the notes time SQLite's own ways to copy a live
    database on the same file: the shell's .backup (the online backup API) and VACUUM INTO."""
    lite = timed_into_fresh_folder(ctx.argv(case["litescope"]), ctx.runs)
    base = timed_into_fresh_folder(ctx.argv(case["baseline"]), ctx.runs)
    others = {"sqlite3 .backup": ["sqlite3", "{data}/big_wal.db", ".backup {out}/b.db"],
              "VACUUM INTO": ["sqlite3", "{data}/big_wal.db", "VACUUM INTO '{out}/v.db'"]}
    notes = []
    for name, argv in others.items():
        m = timed_into_fresh_folder(ctx.argv(argv), min(ctx.runs, 2))
        notes.append(f"{name}: {fmt_value(m)}")
    return lite, base, notes


RUNNERS = {"diff": run_diff, "watch": run_watch, "backup": run_backup, "orphans": run_orphans, "orphans_summed": run_orphans_summed, "migrate_up": run_migrate_up, "tui_start": run_tui_start, "tui_quit": run_tui_quit, "tui_rss_start": run_tui_rss_start, "tui_rest": run_tui_rest,
           "tui_last_page": run_tui_last_page, "tui_paging": run_tui_paging, "tui_lag": run_tui_lag,
           "tui_live": run_tui_live}


class Context:
    def __init__(self, binary, runs):
        self.binary, self.runs = binary, runs

    def argv(self, argv):
        return [a.replace("{bin}", str(self.binary)).replace("{data}", "bench/data") for a in argv]


def run_case(case, ctx):
    """(litescope, baseline, notes); a TUI run that fails reports its error instead of hanging."""
    try:
        return RUNNERS.get(case.get("run"), run_command)(case, ctx)
    except (tui.CaseError, subprocess.TimeoutExpired) as e:
        print(f"bench: {case['id']}: {e}", file=sys.stderr, flush=True)
        first = str(e).splitlines()[0]
        return {"error": first[:120]}, None, []


def environment(version, stamps):
    model = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                  if l.startswith("model name")), "unknown CPU")
    shell = query(":memory:", "SELECT sqlite_version()")
    analyzer = subprocess.run(["sqlite3_analyzer", "--version"], capture_output=True, text=True).stdout
    analyzer = (analyzer.split() or ["?"])[0]
    lock = (ROOT / "Cargo.lock").read_text() if (ROOT / "Cargo.lock").exists() else ""
    m = re.search(r'name = "libsqlite3-sys"\nversion = "([^"]+)"', lock)
    data = "; ".join(f"{n}: {e['bytes'] / 1e6:,.1f} MB, {e['tables']:,} tables, {e['indexes']:,} indexes, "
                     f"{e['rows']:,} rows" for n, e in sorted(stamps.items()))
    return (f"Last recorded {datetime.date.today()} on {os.cpu_count()} x {model}; sqlite3 shell "
            f"{shell}, sqlite3_analyzer {analyzer}; {version} built with libsqlite3-sys "
            f"{m.group(1) if m else '?'} (bundled SQLite). Data: {data}.")


def record(rows, env):
    text = BENCHMARKS.read_text()
    if BEGIN not in text or END not in text:
        die(f"{BENCHMARKS.name} lacks the {BEGIN} / {END} markers")
    head, rest = text.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    ids = [c["id"] for c in CASES]
    kept = {}
    for line in old.splitlines():                       # rows of cases not rerun this time survive
        m = re.match(r"\|\s*`?([\w.-]+)`?\s*\|", line)
        if m and m.group(1) in ids:                     # rows from before a column was added get it empty
            kept[m.group(1)] = line + " |" * max(0, HEADER.count("|") - line.count("|"))
    kept.update(rows)
    table = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"] + [kept[i] for i in ids if i in kept]
    BENCHMARKS.write_text(f"{head}{BEGIN}\n{env}\n\n" + "\n".join(table) + f"\n{END}{tail}")
    print(f"recorded {len(rows)} row(s) into {BENCHMARKS.name}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", metavar="CASE_PREFIX", help="run only cases whose id starts with this")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (plus 1 warm-up)")
    ap.add_argument("--binary", help="litescope binary (default: target/release/litescope)")
    ap.add_argument("--record", action="store_true", help="merge the results into BENCHMARKS.md")
    args = ap.parse_args()
    if args.runs < 1:
        die("--runs must be at least 1")
    binary = Path(args.binary or ROOT / "target" / "release" / "litescope").resolve()
    if not binary.is_file():
        die(f"{binary} not found; run `cargo build --release` first" if not args.binary
            else f"{binary} not found")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith("litescope"):
        first = (version.splitlines() or [""])[0]
        if args.record:
            die(f"refusing to --record: `{binary} --version` says {first!r}, not litescope")
        print(f"bench: warning: `{binary} --version` says {first!r}; these are not litescope numbers",
              file=sys.stderr)
    cases = [c for c in CASES if c["id"].startswith(args.only or "")]
    if not cases:
        die(f"no case id starts with {args.only!r}; cases: {', '.join(c['id'] for c in CASES)}")
    # rainfrog is optional: its rows say when it is missing.
    tools = {c["baseline"][0] for c in cases if c["baseline"] and c.get("run") != "tui_rest"} | {"sqlite3"}
    tools |= {"tmux"} if any(c.get("run", "").startswith("tui") for c in cases) else set()
    for tool in tools:
        if not shutil.which(tool):
            die(f"{tool} not found on PATH (Debian: apt install sqlite3 sqlite3-tools tmux)")
    for name in DATASETS:                               # generate only what the chosen cases use
        if any(f"/{name}/" in a + "/" for c in cases for a in c["litescope"] + (c["baseline"] or [])):
            ensure(name)
    ctx, today, rows = Context(binary, args.runs), str(datetime.date.today()), {}
    built = binary.stat().st_mtime_ns
    print("\n" + HEADER + "\n|" + "---|" * (HEADER.count(" | ") + 1), flush=True)
    for c in cases:
        lite, base, notes = run_case(c, ctx)
        rows[c["id"]] = table_row(c, lite, base, notes, today)
        print(rows[c["id"]], flush=True)
        if not binary.is_file() or binary.stat().st_mtime_ns != built:
            msg = f"{binary} was rebuilt during the run (after case {c['id']}); its numbers are mixed"
            die(f"{msg}: not recording, rerun" if args.record else msg)
    if args.record:
        record(rows, environment(version.splitlines()[0], {n: e for n, e in load_stamp().items() if n in DATASETS}))


if __name__ == "__main__":
    main()
