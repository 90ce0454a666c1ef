#!/usr/bin/python3
"""gmm_fit held in memory against gmm_fit spilled to a temporary file.

Runs against the cluster the PG* variables point at (as the server's user or
root on the server's machine, for the memory figures).  Builds
bench_spill.t{n}: n rows of d dimensions from k clusters, as float8[] (x) and
real[] (x4).  Then, for float8 and float4 storage, fits the same rows
  - in memory: gmm.fit_memory_limit large enough to hold them,
  - spilled:   gmm.fit_memory_limit = rows' raw float8 bytes / ratio (8),
from the same given means with convergence checks off ("tol": 0), with
max_iter = 1 and 1 + iters.  Per-iteration time is the median over reps of
(time(1 + iters) - time(1)) / iters, which leaves out the scan, the
transitions and the initialisation.  Prints the medians, the ratio spilled /
in memory, whether the models are identical (m::text), and each fit's peak
private memory (RssAnon of the backend above its own before the statement).

    /usr/bin/python3 bench/spill.py [--rows 2000000] [--d 8] [--k 5]
        [--cov full] [--ratio 8] [--iters 8] [--reps 3]
"""
import argparse
import os
import statistics
import sys
import threading
import time

import psycopg2


def status(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def run(sql, settings):
    """(seconds, result text, peak RssAnon MB above the start), in a fresh connection"""
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT gmm_logpdf(gmm('{1}', '{0}', '{1}'), '{0}')")  # loads gmm.so
    for s in settings:
        cur.execute(s)
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    base = status(pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], status(pid))
            time.sleep(0.005)

    th = threading.Thread(target=sample)
    th.start()
    t0 = time.perf_counter()
    try:
        cur.execute(sql)
        res = cur.fetchone()[0]
    finally:
        t = time.perf_counter() - t0
        done.set()
        th.join()
    conn.close()
    return t, res, peak[0] - base


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--cov", default="full")
    ap.add_argument("--ratio", type=float, default=8.0)
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    n, d, k = a.rows, a.d, a.k

    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
    cur.execute("CREATE SCHEMA IF NOT EXISTS bench_spill")
    tab = "bench_spill.t%d_%d_%d" % (n, d, k)
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (tab,))
    if not cur.fetchone()[0]:
        elems = ", ".join("(i %% %d) * 3 + %d * 0.1 + (random() - 0.5) * 2" % (k, j) for j in range(d))
        cur.execute("SELECT setseed(0.42)")
        cur.execute("CREATE TABLE %s AS SELECT x, x::real[] AS x4 FROM "
                    "(SELECT ARRAY[%s]::float8[] AS x FROM generate_series(1, %d) i) s" % (tab, elems, n))
        cur.execute("VACUUM FREEZE ANALYZE %s" % tab)
    means = "[%s]" % ", ".join("[%s]" % ", ".join("%g" % (c * 3 + j * 0.1) for j in range(d)) for c in range(k))
    raw_mb = n * d * 8 / 2**20
    limit_kb = int(raw_mb * 1024 / a.ratio)
    print("rows %d x %d, k = %d %s; raw float8 rows %.0f MB; spilled fits: gmm.fit_memory_limit = %d kB "
          "(rows / %.0f); %d reps of 1 and %d iterations" % (n, d, k, a.cov, raw_mb, limit_kb, a.ratio,
                                                             a.reps, 1 + a.iters))
    base = ["SET max_parallel_workers_per_gather = 0", "SET client_min_messages = error"]
    results = {}
    for storage in ("float8", "float4"):
        col = "x" if storage == "float8" else "x4"
        for where, lim in (("memory", "8GB"), ("spilled", "%dkB" % limit_kb)):
            times = {1: [], 1 + a.iters: []}
            texts, peaks = {}, []
            for rep in range(a.reps):
                for it in (1, 1 + a.iters):
                    opts = ('{"covariance_type": "%s", "means": %s, "max_iter": %d, "tol": 0, "storage": "%s"}'
                            % (a.cov, means, it, storage))
                    sql = "SELECT gmm_fit(%s, %d, '%s')::text FROM %s" % (col, k, opts, tab)
                    t, res, pk = run(sql, base + ["SET gmm.fit_memory_limit = '%s'" % lim])
                    times[it].append(t)
                    texts[it] = res
                    peaks.append(pk)
            per = statistics.median((b - c) / a.iters for b, c in zip(times[1 + a.iters], times[1]))
            results[(storage, where)] = (per, texts, max(peaks), statistics.median(times[1]))
            print("  %-7s %-8s per iteration %7.1f ms   (1-iteration fit %5.2f s)   peak RssAnon %6.1f MB"
                  % (storage, where, per * 1000, statistics.median(times[1]), max(peaks)), flush=True)
    for storage in ("float8", "float4"):
        m, s = results[(storage, "memory")], results[(storage, "spilled")]
        same = all(m[1][it] == s[1][it] for it in m[1])
        print("%s: spilled / in memory per iteration = %.2f (target <= 1.3); models identical: %s"
              % (storage, s[0] / m[0], same))
    f8, f4 = results[("float8", "memory")], results[("float4", "memory")]
    print("float4 / float8 storage in memory per iteration = %.2f; float4 models identical to float8 on "
          "float4 data: %s" % (f4[0] / f8[0], "see fit_spill regression test (exact)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
