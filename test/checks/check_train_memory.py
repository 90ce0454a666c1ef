#!/usr/bin/python3
"""Peak backend memory of gmm_train, gmm_em_step and gmm_score must not grow
with the number of rows (issue 9, defect 3).

Two tables of 200,000 and 800,000 points of dimension 8 (deterministic,
sin/cos) are built; each function runs over each table in a fresh backend
(no parallel workers), and the backend's peak private memory is read from
/proc/<pid>/status: VmHWM minus the shared and file-backed pages it maps
(RssShmem, RssFile), which are the table's pages in shared buffers and the
binaries, not the backend's own memory.  The peak over 800k rows may exceed
the peak over 200k rows by at most LIMIT_KB.  Before the fix gmm_train's
peak grew by about 170 MB between the two tables.

Prints the figures.  Exit status 0 means no growth beyond the limit; when
the server's /proc is not visible (a remote server) the check is skipped.

Connection from the PG* environment variables.
"""
import os
import sys

import psycopg2

LIMIT_KB = 8 * 1024
SIZES = (200_000, 800_000)
MODEL = "gmm('{0.5,0.5}', array_fill(0.1::float8, ARRAY[16]), '{1,1}', 'spherical')"
QUERIES = {
    "gmm_train": "SELECT gmm_n_iter(gmm_train('{t}', 'x', 3, "
                 "'{\"max_iter\": 2, \"covariance_type\": \"diag\"}'))",
    "gmm_em_step": "SELECT gmm_n_iter(gmm_em_step(" + MODEL + ", x)) FROM {t}",
    "gmm_score": "SELECT gmm_score(" + MODEL + ", x) IS NOT NULL FROM {t}",
}


def connect():
    c = psycopg2.connect("")
    c.autocommit = True
    return c


def status(pid):
    d = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmHWM", "RssShmem", "RssFile"):
                d[key] = int(val.split()[0])
    return d


def peak_private_kb(sql):
    """Peak private memory (kB) of a fresh backend after running sql."""
    c = connect()
    cur = c.cursor()
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    cur.execute(sql)
    cur.fetchall()
    s = status(pid)
    c.close()
    return s["VmHWM"] - s["RssShmem"] - s["RssFile"], s["VmHWM"]


def main():
    c = connect()
    cur = c.cursor()
    cur.execute("SELECT pg_backend_pid()")
    if not os.path.exists(f"/proc/{cur.fetchone()[0]}/status"):
        print("check_train_memory: server processes not visible here: skipped")
        return 0
    tables = []
    for n in SIZES:
        t = f"gmm_memcheck_{n}"
        tables.append(t)
        cur.execute(f"DROP TABLE IF EXISTS {t}")
        cur.execute(f"""CREATE TABLE {t} AS
            SELECT ARRAY[sin(i), cos(i), sin(2 * i), cos(3 * i), sin(5 * i) + i % 3,
                         cos(7 * i), sin(11 * i), cos(13 * i)]::float8[] AS x
            FROM generate_series(1, {n}) i""")
        cur.execute(f"VACUUM ANALYZE {t}")
    failed = False
    try:
        for name, q in QUERIES.items():
            peaks = [peak_private_kb(q.replace("{t}", t)) for t in tables]
            growth = peaks[1][0] - peaks[0][0]
            ok = growth <= LIMIT_KB
            failed |= not ok
            print(f"{name}: peak private memory {peaks[0][0]} kB at {SIZES[0]} rows, "
                  f"{peaks[1][0]} kB at {SIZES[1]} rows (VmHWM {peaks[0][1]} / {peaks[1][1]} kB): "
                  f"growth {growth} kB {'ok' if ok else 'EXCEEDS'} {LIMIT_KB} kB")
    finally:
        for t in tables:
            cur.execute(f"DROP TABLE IF EXISTS {t}")
        c.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
