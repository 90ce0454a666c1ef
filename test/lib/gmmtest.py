"""Shared helpers of the robustness checks in test/checks/ (storage matrix, fuzzer,
memory growth, concurrency): connections from the PG* environment, the
server log (to see crashes), and a failure list with a final verdict.

The server log is found, in order, from $GMM_SERVER_LOG, $GMM_DEV_DIR/server.log
(test/lib/devcluster.sh), $PGHOST/server.log (test/lib/pgcluster.sh's throwaway
cluster) and $PGHOST/../server.log (a dev cluster's socket dir).
"""
import os
import sys

import psycopg2

CRASH_MARKERS = ("terminated by signal", "was terminated by exception",
                 "PANIC:", "TRAP:", "server process (PID")


def connect(autocommit=True, **kw):
    """A new connection from the PG* environment variables."""
    conn = psycopg2.connect("", **kw)
    conn.autocommit = autocommit
    with conn.cursor() as cur:  # the checks may run first in a fresh database
        cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
    if not autocommit:
        conn.commit()
    return conn


def server_log_path():
    """Path of the server log, or None if it cannot be found."""
    cands = [os.environ.get("GMM_SERVER_LOG")]
    if os.environ.get("GMM_DEV_DIR"):
        cands.append(os.path.join(os.environ["GMM_DEV_DIR"], "server.log"))
    host = os.environ.get("PGHOST", "")
    if host.startswith("/"):
        cands.append(os.path.join(host, "server.log"))
        cands.append(os.path.join(os.path.dirname(host.rstrip("/")), "server.log"))
    for c in cands:
        if c and os.path.isfile(c):
            return c
    return None


class LogWatch:
    """Remembers the end of the server log; new_crashes() returns the crash
    lines written since (or since the last call)."""

    def __init__(self):
        self.path = server_log_path()
        self.pos = os.path.getsize(self.path) if self.path else 0

    def new_crashes(self):
        if not self.path:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        self.pos += len(data)
        lines = data.decode("utf-8", "replace").splitlines()
        return [ln for ln in lines if any(m in ln for m in CRASH_MARKERS)]


class Verdict:
    """Collects failures; finish() prints them and exits 1 if any."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL:", msg, flush=True)

    def check(self, cond, msg):
        if not cond:
            self.fail(msg)
        return cond

    def finish(self):
        if self.failures:
            print("%s: %d failure(s)" % (self.name, len(self.failures)))
            sys.exit(1)
        print("%s: ok" % self.name)
        sys.exit(0)
