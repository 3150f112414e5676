"""Drives the litescope TUI inside tmux for bench/run.py: one scenario run per call, raw numbers out.

Each run starts a fresh litescope in a detached session of a private tmux server (fixed window size,
no status line, no user config) and reads the screen with `tmux capture-pane`. Every wait has a
deadline: a run that does not reach its condition raises CaseError with the last screen, and the
session is killed whatever happens. Screen times include the polling delay: one capture-pane call
takes a few ms (each run reports its own median as `poll_ms`).
"""
import os, re, statistics, subprocess, tempfile, time
from pathlib import Path

WIDTH, HEIGHT = 160, 45
SOCKET = Path(tempfile.gettempdir()) / f"litescope-bench-{os.getpid()}.tmux"   # a private server
TMUX_CALL_TIMEOUT = 10                 # seconds for any single tmux command


class CaseError(Exception):
    """A TUI run that did not reach its condition in time (or whose litescope exited)."""


def tmux(*args, check=True):
    proc = subprocess.run(["tmux", "-S", str(SOCKET), *args], capture_output=True, text=True,
                          timeout=TMUX_CALL_TIMEOUT)
    if check and proc.returncode != 0:
        raise CaseError(f"tmux {args[0]} failed: {proc.stderr.strip()}")
    return proc.stdout


class Server:
    """The private tmux server, kept up by an idle session so no measured launch pays for its
    start-up; killed (with anything left in it) on exit."""

    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="litescope-bench-")
        conf = Path(self.dir.name) / "tmux.conf"
        conf.write_text("set -g status off\nset -g remain-on-exit on\nset -g history-limit 0\n")
        tmux("-f", str(conf), "new-session", "-d", "-s", "idle", "-x", str(WIDTH), "-y", str(HEIGHT),
             "sleep", "86400")
        (Path(self.dir.name) / "config").mkdir()
        return self

    def __exit__(self, *exc):
        try:
            tmux("kill-server", check=False)
        finally:
            SOCKET.unlink(missing_ok=True)
            self.dir.cleanup()

    def session(self, argv, cwd):
        return Session(self, argv, cwd)


class Session:
    """One litescope in one tmux session. `started` is taken just before tmux is asked to launch
    it; `trace` is its LITESCOPE_TRACE file."""
    count = 0

    def __init__(self, server, argv, cwd):
        Session.count += 1
        self.name = f"run{Session.count}"
        self.argv, self.cwd = argv, cwd
        self.trace = Path(server.dir.name) / f"{self.name}.trace"
        self.config = Path(server.dir.name) / "config"
        self.polls = []

    def __enter__(self):
        env = [f"LITESCOPE_TRACE={self.trace}", f"LITESCOPE_CONFIG_DIR={self.config}"]
        self.started = time.perf_counter()
        tmux("new-session", "-d", "-s", self.name, "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(self.cwd),
             *[a for e in env for a in ("-e", e)], *self.argv)
        return self

    def __exit__(self, *exc):
        tmux("kill-session", "-t", self.name, check=False)

    # -- reading

    def screen(self):
        t0 = time.perf_counter()
        text = tmux("capture-pane", "-p", "-t", self.name)
        self.polls.append((time.perf_counter() - t0) * 1000)
        return text

    def poll_ms(self):
        return statistics.median(self.polls) if self.polls else None

    def pid(self):
        """The litescope process itself: tmux execs the argv directly, so it is the pane's pid."""
        return int(tmux("list-panes", "-t", self.name, "-F", "#{pane_pid}").split()[0])

    def dead(self):
        return tmux("list-panes", "-t", self.name, "-F", "#{pane_dead} #{pane_dead_status}").split()

    def memory(self):
        """VmRSS and VmHWM of the pane's process (litescope, or the tool compared) in MB."""
        fields, pid = {}, self.pid()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError as e:
            raise CaseError(f"cannot read the memory of {self.argv[0]} (pid {pid}): {e}")
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
        return fields["VmRSS"], fields["VmHWM"]

    def trace_lines(self, key):
        if not self.trace.exists():
            return []
        return [float(l.split()[1]) for l in self.trace.read_text().splitlines() if l.startswith(key + " ")]

    def wait(self, what, pred, timeout):
        """Polls the screen as fast as tmux allows until pred(screen) holds; returns the time (ms,
        perf_counter) of the capture that first satisfied it. Whether litescope is still alive is
        asked only every 0.25 s, so that the polling stays as fine as one capture."""
        deadline = time.perf_counter() + timeout
        alive_at = time.perf_counter()
        while True:
            text = self.screen()
            now = time.perf_counter()
            if pred(text):
                return now
            if now > deadline:
                raise CaseError(f"no {what} within {timeout} s; last screen:\n{tail(text)}")
            if now - alive_at > 0.25:
                alive_at, state = now, self.dead()
                if state and state[0] == "1":
                    raise CaseError(f"litescope exited (status {' '.join(state[1:])}) while waiting for "
                                    f"{what}:\n{tail(text)}")

    def wait_trace(self, key, n, timeout):
        """Waits until the trace holds at least n `key` lines."""
        deadline = time.perf_counter() + timeout
        while len(self.trace_lines(key)) < n:
            if time.perf_counter() > deadline:
                raise CaseError(f"trace has {len(self.trace_lines(key))} {key} lines, expected {n}, "
                                f"after {timeout} s")
            time.sleep(0.02)

    # -- typing

    def keys(self, *keys):
        """Key names as tmux knows them (Enter, Escape, PageDown, F5, j, ...)."""
        tmux("send-keys", "-t", self.name, *keys)

    def type(self, text):
        """Literal text; tmux would take a `;` for its command separator, so none are allowed."""
        if ";" in text:
            raise CaseError(f"cannot type {text!r}: leave the semicolons out")
        tmux("send-keys", "-t", self.name, "-l", text)


def cpu_seconds(pid):
    """User plus system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tail(text, lines=12):
    """The last lines of a screen that hold more than borders and blanks."""
    body = [l.rstrip() for l in text.splitlines() if re.sub(r"[\s│─╭╮╰╯]", "", l)]
    return "\n".join(body[-lines:]) if body else "(empty screen)"


def shows_any(names):
    names = set(names)
    return lambda text: bool(names & set(re.findall(r"[\w.-]+", text)))


def shows(*words):
    return lambda text: all(re.search(rf"(?<![\w,.]){re.escape(w)}(?![\w,.])", text) for w in words)


# ---------------------------------------------------------------- scenarios (one run each)

def start(server, argv, cwd, names, later_s=2.0, timeout=20):
    """Launch until one of `names` is on screen; memory then and `later_s` later."""
    with server.session(argv, cwd) as s:
        seen = s.wait("table name", shows_any(names), timeout)
        rss, hwm = s.memory()
        s.wait_trace("ready_ms", 1, 5)
        out = {"ms": (seen - s.started) * 1000, "ready_ms": s.trace_lines("ready_ms")[0],
               "rss_mb": rss, "hwm_mb": hwm, "poll_ms": s.poll_ms()}
        time.sleep(later_s)
        out["rss_later_mb"], out["hwm_later_mb"] = s.memory()
        return out


def at_rest(server, argv, cwd, names, typed=None, after_s=3.0, timeout=20):
    """Memory `after_s` after launch, for any TUI (litescope, rainfrog, the sqlite3 shell): waits
    for one of `names` on screen (after typing `typed` and Enter, as a shell user would), then
    until `after_s` from launch, and reads VmRSS and VmHWM there. A tool still busy at that time
    is measured busy: the time is fixed, not the state."""
    with server.session(argv, cwd) as s:
        if typed:
            s.type(typed)
            s.keys("Enter")
        seen = s.wait("table name", shows_any(names), timeout)
        time.sleep(max(0.0, after_s - (time.perf_counter() - s.started)))
        rss, hwm = s.memory()
        return {"rss_mb": rss, "hwm_mb": hwm, "ms": (seen - s.started) * 1000, "poll_ms": s.poll_ms()}


def quit_at_start(server, argv, cwd, names, timeout=20):
    """Launch until one of `names` is on screen, then `q` until litescope has exited."""
    with server.session(argv, cwd) as s:
        seen = s.wait("a name", shows_any(names), timeout)
        rss, hwm = s.memory()
        sent = time.perf_counter()
        s.keys("q")
        deadline = sent + timeout
        while (s.dead() or ["0"])[0] != "1":
            if time.perf_counter() > deadline:
                raise CaseError(f"litescope still running {timeout} s after q")
        gone = time.perf_counter()
        return {"ms": (gone - sent) * 1000, "start_ms": (seen - s.started) * 1000, "hwm_mb": hwm,
                "poll_ms": s.poll_ms()}


def open_table(s, table, timeout):
    """Data panel, cursor onto `table` (read from the list on screen), Enter, first page shown."""
    s.keys("3")
    listed = []

    def in_list(text):
        listed[:] = re.findall(r"^│(\S+) ", text, re.M)   # the Tables list, left column
        return table in listed
    s.wait(f"table {table} in the Data panel's list", in_list, timeout)
    s.keys(*["Down"] * listed.index(table), "Enter")
    s.wait(f"first page of {table}", lambda t: f" {table} · " in t and " · page 1 · " in t, timeout)


def idle(text):
    """No job running: the status bar has no spinner with its `Esc cancel`."""
    return "Esc cancel" not in text.rstrip().splitlines()[-1]


def last_page(server, argv, cwd, table, last_id, timeout=20, idle_timeout=300):
    """Open `table` in the Data panel, then `G` until `last_id` is on screen; then, once the
    background passes are done, `g` and `G` again for the same time without them."""
    with server.session(argv, cwd) as s:
        open_table(s, table, timeout)
        lags = len(s.trace_lines("lag_ms"))

        def bottom():
            t0 = time.perf_counter()
            s.keys("G")
            seen = s.wait(f"id {last_id} after G", shows(str(last_id)), timeout)
            if "last page" not in s.screen():
                raise CaseError(f"id {last_id} is on screen but the grid title does not say 'last page'")
            return (seen - t0) * 1000
        ms = bottom()
        s.wait_trace("lag_ms", lags + 1, 5)
        lag = s.trace_lines("lag_ms")[lags]
        s.keys("g")
        s.wait("first page again", lambda t: " · page 1 · " in t, timeout)
        s.wait("the background passes to finish", idle, idle_timeout)
        idle_ms = bottom()
        return {"ms": ms, "lag_ms": lag, "idle_ms": idle_ms, "hwm_mb": s.memory()[1], "poll_ms": s.poll_ms()}


def paging(server, argv, cwd, table, pages, page_rows, timeout=20):
    """Open `table`, then `pages` times: PageDown and wait for the next page to be shown. (Keys
    sent faster than pages arrive do not add up: each asks for the page after the one shown.)"""
    with server.session(argv, cwd) as s:
        open_table(s, table, timeout)
        t0, each = time.perf_counter(), []
        for k in range(1, pages + 1):
            sent = time.perf_counter()
            s.keys("PageDown")
            first = k * page_rows + 1
            seen = s.wait(f"page {k + 1} (id {first})", shows(f"page {k + 1}", str(first)), timeout)
            each.append((seen - sent) * 1000)
        rss, hwm = s.memory()
        return {"ms": (time.perf_counter() - t0) * 1000, "page_ms": statistics.median(each),
                "rss_mb": rss, "hwm_mb": hwm, "poll_ms": s.poll_ms()}


def lag_during_query(server, argv, cwd, sql, keys=50, gap_s=0.1, timeout=30):
    """Start `sql` in the Query panel (F5 also leaves the editor), send `keys` j/k presses `gap_s`
    apart and return their lag_ms; fails if the query is not still running after the last key."""
    with server.session(argv, cwd) as s:
        s.wait_trace("ready_ms", 1, timeout)
        s.keys("4")
        s.wait("Query panel", lambda t: "i edit" in t, timeout)
        s.keys("i")
        s.wait("editor", lambda t: "editing" in t, timeout)
        s.type(sql)
        s.keys("F5")
        typed = len(sql) + 3                               # 4, i, the SQL, F5
        s.wait("query running", lambda t: "running…" in t, timeout)
        if "editing" in s.screen():                        # F5 leaves the editor; Esc now would cancel
            s.keys("Escape")
            typed += 1
        s.wait("editor left", lambda t: "i edit" in t and "running…" in t, timeout)
        s.wait_trace("lag_ms", typed, 5)
        before = len(s.trace_lines("lag_ms"))
        for k in range(keys):
            s.keys("jk"[k % 2])
            time.sleep(gap_s)
        s.wait_trace("lag_ms", before + keys, 10)
        if "running…" not in s.screen():
            raise CaseError("the query finished before the last key; use a longer one")
        lags = s.trace_lines("lag_ms")[before:before + keys]
        return {"lags": lags, "hwm_mb": s.memory()[1], "poll_ms": s.poll_ms()}



def counted(rows):
    """A row count as litescope shows it: `1 row`, `1,234 rows`."""
    return "1 row" if rows == 1 else f"{rows:,} rows"


def live(server, argv, cwd, db, commits=20, gap_s=0.3, flood_s=5.0, rate=100, timeout=20):
    """Another process commits to `db` (one table `events`) while litescope shows its Overview:
    the time from each of `commits` commits, `gap_s` apart, to its row count on screen; then, while
    it commits `rate` times a second for `flood_s`, litescope's CPU (share of one core) and frames
    drawn per second, and the time until the last count is on screen once the writes stop."""
    import sqlite3
    app = sqlite3.connect(db, isolation_level=None)
    app.execute("PRAGMA busy_timeout = 5000")
    rows = app.execute("SELECT count(*) FROM events").fetchone()[0]
    with server.session(argv, cwd) as s:
        s.wait("the audit", lambda t: "Findings  " in t and idle(t), timeout)
        waits = []
        for i in range(commits):
            time.sleep(gap_s)
            t0 = time.perf_counter()
            app.execute("INSERT INTO events (v) VALUES (?)", (i,))
            rows += 1
            seen = s.wait(counted(rows), lambda t: f"({counted(rows)})" in t, timeout)
            waits.append((seen - t0) * 1000)
        pid = s.pid()
        frames0, cpu0, t0, n = len(s.trace_lines("frame_ms")), cpu_seconds(pid), time.perf_counter(), 0
        while time.perf_counter() - t0 < flood_s:
            app.execute("INSERT INTO events (v) VALUES (1)")
            n += 1
            time.sleep(max(0.0, t0 + n / rate - time.perf_counter()))
        took = time.perf_counter() - t0
        cpu, frames = (cpu_seconds(pid) - cpu0) / took, (len(s.trace_lines("frame_ms")) - frames0) / took
        stopped = time.perf_counter()
        rows += n
        settled = s.wait(f"{counted(rows)} after the flood", lambda t: f"({counted(rows)})" in t, timeout)
        return {"waits": waits, "cpu": cpu, "fps": frames, "commits": n,
                "settle_ms": (settled - stopped) * 1000, "hwm_mb": s.memory()[1], "poll_ms": s.poll_ms()}
