#!/usr/bin/python3
"""Threads of a backend, and fits that do not depend on the thread count.

1. OpenBLAS's thread pool, stopped when gmm is loaded, must stay stopped:
   after fits (gmm_fit, gmm_em_step, gmm_stats_agg, gmm_train) with
   gmm.threads = 1, and again after fits with gmm.threads = 2 and 3, the
   backend (found with pg_backend_pid()) has exactly one thread
   (/proc/<pid>/status, "Threads:").
2. The same fits with gmm.threads = 1, 2, 3 and with gmm.threads = 0 under
   max_parallel_workers_per_gather = 0 and 2 give the same bits: the models'
   text forms (shortest exact floats) are equal.  The data has 160 blocks
   of 256 rows, so that every thread count splits them differently; the
   fit in 24 dimensions has its blocks' statistics added up in two chunks.

Connection from the PG* environment variables.  Exit status 0 = pass.
"""
import sys

import psycopg2

failures = []


def threads_of(pid):
    """The number of threads of process pid."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Threads: line for process {pid}")


FITS = {
    "gmm_fit full": "SELECT gmm_fit(x, 3, '{\"covariance_type\":\"full\",\"seed\":7}' ORDER BY i)::text FROM thr_pts",
    "gmm_fit diag": "SELECT gmm_fit(x, 4, '{\"covariance_type\":\"diag\",\"seed\":3}' ORDER BY i)::text FROM thr_pts",
    "gmm_fit_weighted tied": "SELECT gmm_fit_weighted(x, w, 3, '{\"covariance_type\":\"tied\",\"seed\":5}' ORDER BY i)::text FROM thr_pts",
    "gmm_em_step": "SELECT gmm_em_step(%(m)s::gmm, x ORDER BY i)::text FROM thr_pts",
    "gmm_stats_agg": "SELECT gmm_stats_agg(%(m)s::gmm, x ORDER BY i)::text FROM thr_pts",
    "gmm_train": "SELECT gmm_train('thr_pts', 'x', 3, '{\"covariance_type\":\"full\",\"seed\":11}')::text",
    # d = 24, k = 4 full: the blocks' partial statistics take two chunks
    "gmm_fit full d=24": "SELECT gmm_fit(x, 4, '{\"covariance_type\":\"full\",\"seed\":1,\"max_iter\":3}' ORDER BY i)::text FROM thr_wide",
}
START = ('{"covariance_type":"full","weights":[0.3,0.3,0.4],'
         '"means":[[0,0,0],[4,-1,1],[8,-2,4]],'
         '"covariances":[[[1,0,0],[0,1,0],[0,0,1]],[[1,0,0],[0,1,0],[0,0,1]],'
         '[[1,0,0],[0,1,0],[0,0,1]]]}')
SETTINGS = [
    ("gmm.threads = 1", {"gmm.threads": "1"}),
    ("gmm.threads = 2", {"gmm.threads": "2"}),
    ("gmm.threads = 3", {"gmm.threads": "3"}),
    ("gmm.threads = 0, max_parallel_workers_per_gather = 0",
     {"gmm.threads": "0", "max_parallel_workers_per_gather": "0"}),
    ("gmm.threads = 0, max_parallel_workers_per_gather = 2",
     {"gmm.threads": "0", "max_parallel_workers_per_gather": "2"}),
]


def run_fits(cur):
    """Every fit's text form under the session's current settings."""
    out = {}
    for name, sql in FITS.items():
        cur.execute(sql, {"m": START})
        out[name] = cur.fetchone()[0]
    return out


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")  # the checks may run first in a fresh database
    cur.execute("SET client_min_messages = warning")
    cur.execute("DROP TABLE IF EXISTS thr_pts")
    cur.execute("""
        CREATE TABLE thr_pts AS
        SELECT i, 1 + (i % 5) * 0.25 AS w,
               ARRAY[(i % 3) * 4 + sin(i * 1.7), cos(i * 0.3) * 2 - (i % 3),
                     sin(i * 0.11) + (i % 3) * (i % 3)]::float8[] AS x
        FROM generate_series(1, 160 * 256) i""")
    cur.execute("ANALYZE thr_pts")
    wide = ", ".join(f"sin(i * {j + 0.5} * 0.37) + (i % 4) * {j % 3}" for j in range(24))
    cur.execute("DROP TABLE IF EXISTS thr_wide")
    cur.execute(f"CREATE TABLE thr_wide AS SELECT i, ARRAY[{wide}]::float8[] AS x "
                "FROM generate_series(1, 160 * 256) i")
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]

    results = {}
    for label, gucs in SETTINGS:
        cur.execute("RESET ALL")
        for k, v in gucs.items():
            cur.execute(f"SET {k} = {v}")
        results[label] = run_fits(cur)
        if label == "gmm.threads = 1":
            n = threads_of(pid)
            if n != 1:
                failures.append(f"after fits with gmm.threads = 1 the backend has {n} threads, not 1")
    n = threads_of(pid)
    if n != 1:
        failures.append(f"after fits with 1 to 3 threads the backend has {n} threads, not 1")

    base_label = SETTINGS[0][0]
    base = results[base_label]
    for label, res in results.items():
        for name, text in res.items():
            if text != base[name]:
                failures.append(f"{name}: {label} differs from {base_label}:\n  {text[:300]}\n  {base[name][:300]}")

    cur.execute("DROP TABLE thr_pts, thr_wide")
    conn.close()
    checks = len(SETTINGS) * len(FITS) + 2
    if failures:
        print(f"check_threads: {len(failures)} of {checks} checks failed")
        for f in failures:
            print("  " + f)
        return 1
    print(f"check_threads: {checks} checks passed (backend threads 1; {len(FITS)} fits "
          f"bit-identical under {len(SETTINGS)} thread settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
