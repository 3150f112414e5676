#!/usr/bin/env python3
"""Benchmark runner (not a test): litescope against the sqlite3 shell / sqlite3_analyzer.

    python3 bench/run.py [--only CASE_PREFIX] [--runs N] [--binary PATH] [--record]

Data sets are generated lazily into bench/data/ (gitignored) and reused while bench/data/stamp.json
still matches the generator parameters below. Times are wall-clock with a warm page cache (one
warm-up run per command is discarded). --record merges the table into BENCHMARKS.md.
"""
import argparse, datetime, json, os, re, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
STAMP = DATA / "stamp.json"
BENCHMARKS = ROOT / "BENCHMARKS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# Generator parameters; changing any of them regenerates that data set.
BIG = {"version": 1, "tables": 200, "target_bytes": 10**9, "zipf_s": 1.5, "empty_every": 25}
TABLES10K = {"version": 1, "tables": 10_000, "index_every": 10, "empty_every": 3, "max_rows": 5}
ROWS10M = {"version": 1, "rows": 10_000_000, "users": 10_000}
ORPHANS = {"version": 1, "parents": 500_000, "accounts": 500_000, "children": 5_000_000, "orphan_every": 100,
           "null_every": 1000}
ORPHANS_TEXT = {"version": 1, "parents": 500_000, "children": 5_000_000, "orphan_every": 100}

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
     "target": "ratio <= 2", "check": {"max_ratio": 2}},
    {"id": "inspect-10k-tables-full", "description": "full measuring pass on 10,000 small tables",
     "litescope": ["{bin}", "inspect", "{data}/tables10k.db", "--json"],
     "baseline": ["sqlite3", "{data}/tables10k.db", ".schema"],
     "target": "informational"},
]

HEADER = ("| case | what | litescope median (ms) | baseline | baseline median (ms) | ratio | target "
          "| met? | peak RSS litescope / baseline (MB) | measured |")
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
    return {"tables": int(query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'")),
            "indexes": int(query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'")),
            "rows": sum(t["rows"] for t in tables) + extra}


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
    return {"tables": int(query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'")),
            "indexes": int(query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'")),
            "rows": rows}


def counted(db, rows):
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
    return f"({n} * 2654435761) % {modulus} + 1"


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


DATASETS = {"big.db": (BIG, gen_big), "tables10k.db": (TABLES10K, gen_tables10k),
            "rows10m.db": (ROWS10M, gen_rows10m), "orphans.db": (ORPHANS, gen_orphans),
            "orphans_text.db": (ORPHANS_TEXT, gen_orphans_text)}


def load_stamp():
    try:
        return json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return {}


def ensure(name):
    """Reuse bench/data/<name> if its stamp matches the parameters and its size; else regenerate."""
    params, gen = DATASETS[name]
    path, entry = DATA / name, load_stamp().get(name)
    if entry and entry["params"] == params and path.exists() and path.stat().st_size == entry["bytes"]:
        return entry
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(name + ".tmp")
    tmp.unlink(missing_ok=True)
    print(f"generating bench/data/{name} {params}", flush=True)
    t0 = time.perf_counter()
    info = gen(tmp, params)
    os.replace(tmp, path)
    entry = {"params": params, "bytes": path.stat().st_size, **info,
             "seconds": round(time.perf_counter() - t0, 1)}
    print(f"  done: {entry['bytes'] / 1e6:,.1f} MB in {entry['seconds']} s", flush=True)
    stamp = load_stamp()
    stamp[name] = entry
    STAMP.write_text(json.dumps(stamp, indent=2) + "\n")
    return entry


# ---------------------------------------------------------------- timing

def run_once(argv):
    """Wall time (ms), exit code and stderr of one run; stdout goes to /dev/null."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return (time.perf_counter() - t0) * 1000, proc.returncode, proc.stderr.decode(errors="replace")


def measure(argv, runs):
    """Median and min of `runs` timed runs after one untimed warm-up, which also measures peak RSS
    through /usr/bin/time when present (getrusage from Python would count the forked interpreter)."""
    with tempfile.NamedTemporaryFile("r") as out:
        gnu_time = ["/usr/bin/time", "-f", "%M", "-o", out.name] if os.access("/usr/bin/time", os.X_OK) else []
        times = []
        for k in range(runs + 1):                       # run 0 is the warm-up
            ms, code, err = run_once((gnu_time if k == 0 else []) + argv)
            if code != 0:
                last = (err.strip().splitlines() or [""])[-1][:120]
                return {"error": f"exit {code}: {last}"}
            times += [ms] if k else []
        rss = out.read().strip().splitlines()
    return {"median": statistics.median(times), "min": min(times),
            "rss_mb": int(rss[-1]) / 1024 if rss and rss[-1].isdigit() else None}


def fmt_ms(m):
    if "error" in m:
        return f"failed ({m['error']})".replace("|", "/")
    f = (lambda x: f"{x:.1f}") if m["median"] < 100 else (lambda x: f"{x:.0f}")
    return f"{f(m['median'])} (min {f(m['min'])})"


def fmt_ratio(r):
    return "<0.001" if r < 0.001 else f"{r:.3f}" if r < 1 else f"{r:.2f}"


def shown(argv):
    return " ".join(a.replace("{data}/", "").replace("{bin}", "litescope") for a in argv)


def table_row(case, lite, base, today):
    ok = "error" not in lite and "error" not in base
    ratio = lite["median"] / base["median"] if ok else None
    check, met = case.get("check"), "n/a"
    if check and ok:
        met = "yes" if (lite["median"] <= check.get("max_ms", float("inf"))
                        and ratio <= check.get("max_ratio", float("inf"))) else "NO"
    elif check:
        met = "failed"
    mb = lambda m: "-" if m.get("rss_mb") is None else f"{m['rss_mb']:.{1 if m['rss_mb'] < 10 else 0}f}"
    rss = f"{mb(lite)} / {mb(base)}"
    cells = [f"`{case['id']}`", f"{case['description']} (`{shown(case['litescope'])}`)", fmt_ms(lite),
             f"`{shown(case['baseline'])}`", fmt_ms(base), fmt_ratio(ratio) if ok else "-",
             case["target"], met, rss, today]
    return "| " + " | ".join(cells) + " |"


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
        if m and m.group(1) in ids:
            kept[m.group(1)] = line
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
    for tool in {c["baseline"][0] for c in cases} | {"sqlite3"}:
        if not shutil.which(tool):
            die(f"{tool} not found on PATH (Debian: apt install sqlite3 sqlite3-tools)")
    for name in DATASETS:                               # generate only what the chosen cases use
        if any(a.endswith("/" + name) for c in cases for a in c["litescope"] + c["baseline"]):
            ensure(name)
    subst = lambda argv: [a.replace("{bin}", str(binary)).replace("{data}", "bench/data") for a in argv]
    today, rows = str(datetime.date.today()), {}
    print("\n" + HEADER + "\n|" + "---|" * (HEADER.count(" | ") + 1), flush=True)
    for c in cases:
        lite = measure(subst(c["litescope"]), args.runs)
        base = measure(subst(c["baseline"]), args.runs)
        rows[c["id"]] = table_row(c, lite, base, today)
        print(rows[c["id"]], flush=True)
    if args.record:
        record(rows, environment(version.splitlines()[0], {n: e for n, e in load_stamp().items() if n in DATASETS}))


if __name__ == "__main__":
    main()
