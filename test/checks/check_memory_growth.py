#!/usr/bin/python3
"""Memory of gmm_train, gmm_em_step, gmm_vb_step, scoring and a spilled gmm_fit does not grow with the table.

For tables of 200k and 800k rows of d = 8 points, each of
  gmm_train(table, 'x', 3, diag, 3 iterations), gmm_train from a model,
  SELECT gmm_em_step(m, x) FROM table, SELECT gmm_stats_agg(m, x) FROM table,
  SELECT sum(gmm_logpdf(m, x)) FROM table, SELECT gmm_score(m, x) FROM table,
  gmm_train with a prior (variational), SELECT gmm_vb_step(m, x) FROM table,
  gmm_fit with gmm.fit_memory_limit = 8MB (both tables spill; float8, and
  float4 storage with k-means initialisation; and incomplete rows with
  "missing": "marginalize"),
  and for incomplete rows gmm_em_step(m, x, 1, '{"missing": "marginalize"}'),
  gmm_train with that option and sum(gmm_logpdf_observed(m, x))
runs in a fresh connection (serial plans, so the backend does all the work)
while a thread samples the backend's /proc/<pid>/status every 10 ms.  The
peak private memory (RssAnon, so that shared buffers touched by the scan do
not count) above the connection's own before the statement must differ
between 800k and 200k rows by less than GMM_MEM_SLACK_MB (default 16) MB.
VmHWM is printed too.  The test runs on the server's machine (it reads /proc
of the backend; as root or as the server's user).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from gmmtest import LogWatch, Verdict, connect  # noqa: E402

S = "gmm_memory_test"
SIZES = (200_000, 800_000)
SLACK = float(os.environ.get("GMM_MEM_SLACK_MB", "16"))
V = Verdict("check_memory_growth")
watch = LogWatch()
MODEL = ("gmm('{0.3,0.3,0.4}', (SELECT array_agg(c * 3 + 0.5) FROM generate_series(0, 2) c, "
         "generate_series(1, 8) j), array_fill(1::float8, ARRAY[3, 8]), 'diag')")
HOLES = "CASE WHEN x[1] > x[2] THEN x[1:7] || 'NaN'::float8 WHEN x[3] > x[4] THEN NULL::float8 || x[2:8] ELSE x END"
MISS = "'{\"missing\": \"marginalize\"}'"
STATEMENTS = {
    "gmm_train k": "SELECT gmm_train('%s.t{n}', 'x', 3, '{\"covariance_type\": \"diag\", \"max_iter\": 3, "
                   "\"tol\": 0, \"seed\": 1}') IS NULL" % S,
    "gmm_train m": "SELECT gmm_train('%s.t{n}'::regclass, 'x', %s, '{\"max_iter\": 3, \"tol\": 0}') IS NULL"
                   % (S, MODEL),
    "gmm_em_step": "SELECT gmm_em_step(%s, x) IS NULL FROM %s.t{n}" % (MODEL, S),
    "gmm_stats_agg": "SELECT gmm_stats_agg(%s, x) IS NULL FROM %s.t{n}" % (MODEL, S),
    "gmm_logpdf": "SELECT sum(gmm_logpdf(%s, x)) IS NULL FROM %s.t{n}" % (MODEL, S),
    "gmm_score": "SELECT gmm_score(%s, x) IS NULL FROM %s.t{n}" % (MODEL, S),
    # rows past gmm.fit_memory_limit spill to a file: the budget, not the rows
    "gmm_fit spill": "SET gmm.fit_memory_limit = '8MB'; SELECT gmm_fit(x, 3, '{\"covariance_type\": "
                     "\"diag\", \"max_iter\": 3, \"tol\": 0, \"seed\": 1}') IS NULL FROM %s.t{n}" % S,
    "gmm_fit spill4": "SET gmm.fit_memory_limit = '8MB'; SELECT gmm_fit(x, 3, '{\"init\": \"kmeans\", "
                      "\"max_iter\": 3, \"tol\": 0, \"seed\": 1, \"storage\": \"float4\"}') IS NULL "
                      "FROM %s.t{n}" % S,
    # incomplete rows ("missing": "marginalize"): about half the rows lose a value
    "gmm_em_step missing": "SELECT gmm_em_step(%s, %s, 1, %s) IS NULL FROM %s.t{n}" % (MODEL, HOLES, MISS, S),
    "gmm_train missing": "SELECT gmm_train('SELECT %s AS x FROM %s.t{n}', 'x', 3, '{\"covariance_type\": "
                         "\"diag\", \"max_iter\": 2, \"tol\": 0, \"seed\": 1, \"missing\": \"marginalize\"}') IS NULL"
                         % (HOLES.replace("'", "''"), S),
    "gmm_logpdf_observed": "SELECT sum(gmm_logpdf_observed(%s, %s)) IS NULL FROM %s.t{n}" % (MODEL, HOLES, S),
    # incomplete rows spill too (full covariances: the grouped E-step), read filled for initialisation
    "gmm_fit spill missing": "SET gmm.fit_memory_limit = '8MB'; SELECT gmm_fit(%s, 3, '{\"max_iter\": 2, "
                             "\"tol\": 0, \"seed\": 1, \"missing\": \"marginalize\"}') IS NULL FROM %s.t{n}"
                             % (HOLES, S),
}


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS", "RssAnon"):
                out[k] = int(v.split()[0]) / 1024.0
    return out


def measure(sql):
    """(peak RssAnon - RssAnon before, VmHWM after) in MB, fresh connection"""
    conn = connect()
    cur = conn.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0; SET gmm.threads = 1")
    cur.execute("SELECT pg_backend_pid(), gmm_logpdf(gmm('{1}', '{0}', '{1}'), '{0}')")  # loads gmm.so
    pid = cur.fetchone()[0]
    base = status(pid)["RssAnon"]
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], status(pid)["RssAnon"])
            except (OSError, KeyError):
                pass
            time.sleep(0.01)

    th = threading.Thread(target=sample)
    th.start()
    try:
        cur.execute(sql)
        cur.fetchall()
    finally:
        done.set()
        th.join()
    st = status(pid)
    peak[0] = max(peak[0], st["RssAnon"])
    conn.close()
    return peak[0] - base, st["VmHWM"]


conn = connect()
cur = conn.cursor()
cur.execute("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (S, S))
t0 = time.time()
for n in SIZES:
    cur.execute("CREATE UNLOGGED TABLE %s.t%d (x float8[])" % (S, n))
    cur.execute("INSERT INTO %s.t%d SELECT ARRAY[%s] FROM (SELECT (i %% 3) * 3 AS c FROM generate_series(1, %d) i) s"
                % (S, n, ", ".join(["c + random()"] * 8), n))
    cur.execute("VACUUM ANALYZE %s.t%d" % (S, n))
print("tables built in %.1f s" % (time.time() - t0))
# variational fits: gmm_train with a prior, and one gmm_vb_step from a variational model
cur.execute("SELECT gmm_vb_update(gmm_stats_agg(%s, x), '{\"prior\": {}}')::text FROM "
            "(SELECT x FROM %s.t%d LIMIT 2000) s" % (MODEL, S, SIZES[0]))
VB_MODEL = "'%s'::gmm" % cur.fetchone()[0]
STATEMENTS["gmm_train prior"] = ("SELECT gmm_train('%s.t{n}', 'x', 3, '{\"covariance_type\": \"diag\", "
                                 "\"prior\": {}, \"max_iter\": 3, \"tol\": 0, \"seed\": 1}') IS NULL" % S)
STATEMENTS["gmm_vb_step"] = "SELECT gmm_vb_step(%s, x) IS NULL FROM %s.t{n}" % (VB_MODEL, S)

for name, sql in STATEMENTS.items():
    res = {}
    for n in SIZES:
        t0 = time.time()
        res[n] = measure(sql.replace("{n}", str(n)))
        print("%-14s %7d rows: peak private memory +%.1f MB, VmHWM %.1f MB (%.1f s)"
              % (name, n, res[n][0], res[n][1], time.time() - t0), flush=True)
    growth = res[SIZES[1]][0] - res[SIZES[0]][0]
    if name.startswith("gmm_fit spill"):
        V.check(res[SIZES[1]][0] < 8 + SLACK, "%s: peak private memory %.1f MB within the 8 MB budget + %.0f MB"
                % (name, res[SIZES[1]][0], SLACK))
    V.check(growth < SLACK, "%s: peak private memory grows by %.1f MB from %d to %d rows (limit %.0f MB)"
            % (name, growth, SIZES[0], SIZES[1], SLACK))

cur.execute("DROP SCHEMA %s CASCADE" % S)
crashes = watch.new_crashes()
V.check(not crashes, "server log reports crashes: %s" % crashes[:5])
V.finish()
