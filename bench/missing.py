#!/usr/bin/python3
"""Benchmark of EM on incomplete rows (issue 14), against the cluster of the
PG* environment variables.

    /usr/bin/python3 bench/missing.py [--rows N] [--dim D] [--k K] [--iters I] [--reps R] [--label L]

Per-iteration time of EM from a given start (convergence off), as
(time of I + 1 iterations - time of 1 iteration) / I, the median of R
repetitions, for
  fit complete      gmm_fit on complete rows, option "missing" absent (the
                    figure to compare before/after the change: run this script
                    against each build with the same arguments)
  fit marginalize 0%  the same rows with "missing": "marginalize" (no value missing)
  fit marginalize 10% the same rows with 10% of the values missing (MCAR)
  em_step complete / em_step 10%: one gmm_em_step over the same tables
and prints the ratios.  "missing" is skipped against a build without it.
"""
import argparse
import json
import statistics
import time

import numpy as np
import psycopg2

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=50000)
ap.add_argument("--dim", type=int, default=5)
ap.add_argument("--k", type=int, default=3)
ap.add_argument("--iters", type=int, default=8)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--threads", type=int, default=None, help="SET gmm.threads (default: the server's)")
ap.add_argument("--label", default="")
args = ap.parse_args()

conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
cur.execute("SET client_min_messages = error")
if args.threads is not None:
    cur.execute("SET gmm.threads = %d" % args.threads)
cur.execute("SELECT count(*) > 0 FROM pg_proc WHERE proname = 'gmm_n_rows_used'")
has_missing = cur.fetchone()[0]

n, d, k = args.rows, args.dim, args.k
rng = np.random.default_rng(14)
means = rng.normal(size=(k, d)) * 4
z = rng.integers(0, k, size=n)
X = means[z] + rng.normal(size=(n, d))
mask = rng.random((n, d)) < 0.10
cur.execute("DROP TABLE IF EXISTS bench_miss")
cur.execute("CREATE UNLOGGED TABLE bench_miss (id int, x float8[], xm float8[])")
lines = []
for i in range(n):
    x = "{" + ",".join(repr(float(v)) for v in X[i]) + "}"
    xm = "{" + ",".join("NULL" if mask[i, t] else repr(float(X[i, t])) for t in range(d)) + "}"
    lines.append("%d\t%s\t%s" % (i, x, xm))
import io  # noqa: E402
cur.copy_expert("COPY bench_miss FROM STDIN", io.StringIO("\n".join(lines) + "\n"))
cur.execute("VACUUM ANALYZE bench_miss")
cur.execute("SELECT count(*) FILTER (WHERE array_position(xm, NULL) IS NOT NULL) FROM bench_miss")
n_incomplete = cur.fetchone()[0]

start = {"init": "given", "means": (means + 0.3).tolist(), "weights": [1.0 / k] * k,
         "covariances": [np.eye(d).tolist()] * k, "tol": 0}


def timed(sql):
    t0 = time.perf_counter()
    cur.execute(sql)
    cur.fetchall()
    return time.perf_counter() - t0


def per_iter(col, extra):
    res = []
    for _ in range(args.reps):
        o1 = dict(start, max_iter=1, **extra)
        oN = dict(start, max_iter=args.iters + 1, **extra)
        t1 = timed("SELECT gmm_fit(%s, %d, '%s') IS NULL FROM bench_miss" % (col, k, json.dumps(o1)))
        tN = timed("SELECT gmm_fit(%s, %d, '%s') IS NULL FROM bench_miss" % (col, k, json.dumps(oN)))
        res.append((tN - t1) / args.iters)
    return statistics.median(res)


def em_step(col, opts):
    cur.execute("SELECT gmm(%s, %s, %s)::text", ([1.0 / k] * k, (means + 0.3).tolist(),
                                                 [np.eye(d).tolist()] * k))
    m = cur.fetchone()[0]
    res = []
    for _ in range(args.reps):
        if opts:
            res.append(timed("SELECT gmm_em_step('%s'::gmm, %s, 1, '%s') IS NULL FROM bench_miss" % (m, col, opts)))
        else:
            res.append(timed("SELECT gmm_em_step('%s'::gmm, %s) IS NULL FROM bench_miss" % (m, col)))
    return statistics.median(res)


print("bench/missing.py %s: n=%d d=%d k=%d full, %d iterations, %d reps, %d rows incomplete at 10%% missing"
      % (args.label, n, d, k, args.iters, args.reps, n_incomplete))
cur.execute("SET max_parallel_workers_per_gather = 0")
r = {}
r["fit complete"] = per_iter("x", {})
if has_missing:
    r["fit marginalize 0%"] = per_iter("x", {"missing": "marginalize"})
    r["fit marginalize 10%"] = per_iter("xm", {"missing": "marginalize"})
r["em_step complete"] = em_step("x", None)
if has_missing:
    r["em_step 10%"] = em_step("xm", '{"missing": "marginalize"}')
for key, v in r.items():
    print("  %-22s %8.2f ms per iteration" % (key, v * 1000))
if has_missing:
    print("  ratio fit 10%% / complete:     %.2f" % (r["fit marginalize 10%"] / r["fit complete"]))
    print("  ratio fit 0%% opt / complete:  %.2f" % (r["fit marginalize 0%"] / r["fit complete"]))
    print("  ratio em_step 10%% / complete: %.2f" % (r["em_step 10%"] / r["em_step complete"]))
cur.execute("DROP TABLE bench_miss")
