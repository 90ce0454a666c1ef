"""The gmm benchmark driver (run by bench/run.sh with /usr/bin/python3).

Generates the datasets inside the PostgreSQL cluster the PG* variables point
at (the same rows for every side), exports them to numpy (for scikit-learn)
and to a raw binary file (for the Armadillo driver), runs each case a few
times on each side, and prints one line per case with medians, ratios and
rows/s.  Writes bench/out/results.csv and bench/out/ratios.png.

Cases (issues 6 and 13): F1-F6 EM iterations from a given start with
convergence checks off, gmm with gmm.threads = 1 and with the default (F5 is
pgvector-sized, 200k x 384 diag, compared with the machine's read bandwidth
over its rows; F6, 50k x 256 full, with the machine's two-core dgemm
GFLOP/s, both measured in the same run by bench/machine.c); S1 scoring
queries, serial and with the default parallel plan, against a plain scan
and scikit-learn's predict; T1 gmm_train iterations with 0 and 2 parallel
workers against a plain scan; M1 and M5 peak backend memory of gmm_fit on
F2 and F5 (M5 also with {"storage": "float4"} where gmm has that option);
SP, MS and VB run bench/spill.py, bench/missing.py and bench/bayes.py.

Per-iteration time on every side is (time of N+1 iterations - time of 1) / N,
the median over the repetitions; Armadillo's N is the number of iterations it
really ran (it stops once the log-likelihood stops changing).
"""
import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")

# name: rows, dimension, components, covariance type, per-iteration target (ms)
CASES = {
    "F1": dict(n=1_000_000, d=2, k=3, cov="full", target_ms=40.0),
    "F2": dict(n=1_000_000, d=8, k=5, cov="full", target_ms=160.0),
    "F3": dict(n=100_000, d=64, k=10, cov="full", target_ms=300.0),
    "F4": dict(n=200_000, d=32, k=8, cov="diag", target_ms=20.0),
    # embeddings (pgvector-sized) and a large full model: fewer iterations
    # and peer runs (scikit-learn takes about 3 s per F5 iteration, Armadillo
    # about a minute per F6 iteration: it runs on a prefix of F6's rows)
    "F5": dict(n=200_000, d=384, k=10, cov="diag", target_ms=None,
               max_iters=5, peer_reps=2),
    "F6": dict(n=50_000, d=256, k=8, cov="full", target_ms=None,
               max_iters=3, peer_reps=1, arma_rows=2_000),
}
FIT_CASES = ("F1", "F2", "F3", "F4", "F5", "F6")
# minimum speed-up over each peer per case (issue 6)
PEER_TARGETS = {
    "F1": dict(sk=10.0, arma=2.5),
    "F2": dict(sk=7.0, arma=2.0),
    "F3": dict(sk=4.0, arma=5.0),
    "F4": dict(sk=4.0, arma=3.0),
    # issue 13: >= 3x the fastest peer
    "F5": dict(sk=3.0, arma=3.0),
    "F6": dict(sk=None, arma=None),
}
# F5: an iteration within this factor of one read pass over the rows
BANDWIDTH_FACTOR = 2.0
# F6: E- and M-step at this share of the machine's two-core dgemm GFLOP/s
DGEMM_SHARE = 0.6
# S1 (serial): query time over a plain scan's
SCORE_TARGETS = {"gmm_predict": 1.6, "gmm_logpdf": 2.0}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Db:
    """A connection with autocommit and timing helpers."""

    def __init__(self):
        self.conn = psycopg2.connect("")
        self.conn.autocommit = True
        self.cur = self.conn.cursor()

    def run(self, sql, args=None):
        self.cur.execute(sql, args)
        return self.cur.fetchall() if self.cur.description else None

    def one(self, sql, args=None):
        return self.run(sql, args)[0][0]

    def timed(self, sql, args=None):
        t0 = time.perf_counter()
        self.cur.execute(sql, args)
        rows = self.cur.fetchall()
        return time.perf_counter() - t0, rows

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------- data

def generate(db, name, n, d, k, seed):
    """Mixture rows made by SQL: k clusters with random means and per-dimension
    spreads (0.5 to 1.5), the means about 4 apart in any dimension so that
    the clusters overlap and EM does not converge within the iterations
    measured; reused when a table of that shape exists already."""
    exists = db.one("SELECT to_regclass(%s) IS NOT NULL", (name,))
    if exists:
        shape = db.run("SELECT count(*), max(array_length(x, 1)) FROM %s" % name)[0]
        if shape == (n, d) and db.one("SELECT count(*) FROM %s_truth" % name) == k:
            return False
    t0 = time.perf_counter()
    db.run("DROP TABLE IF EXISTS %s, %s_truth" % (name, name))
    db.run("SELECT setseed(%s)", (seed,))
    db.run("""
        CREATE TABLE %s_truth AS
        SELECT c,
               array_agg(%g * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
                         ORDER BY j) AS mu,
               array_agg(0.5 + random() ORDER BY j) AS sd
        FROM generate_series(0, %d) c, generate_series(1, %d) j
        GROUP BY c""" % (name, 2.0 * (2.0 / d) ** 0.5, k - 1, d))
    db.run("""
        CREATE TABLE %s AS
        SELECT r.i AS id,
               ARRAY(SELECT t.mu[j] + t.sd[j] * sqrt(-2 * ln(1 - random()))
                            * cos(2 * pi() * random())
                     FROM generate_series(1, %d) j) AS x
        FROM (SELECT i, floor(random() * %d)::int AS c
              FROM generate_series(1, %d) i) r
        JOIN %s_truth t USING (c)
        ORDER BY r.i""" % (name, d, k, n, name))
    db.run("VACUUM (FREEZE, ANALYZE) %s" % name)
    log("  generated %s: %d x %d in %.1f s" % (name, n, d, time.perf_counter() - t0))
    return True


def generate_numpy(db, name, n, d, k, seed):
    """The same mixture as generate(), drawn by numpy (seeded) and loaded by
    binary COPY: SQL draws about half a million values a second, too slow
    for the 77M values of F5; reused when a table of that shape exists."""
    exists = db.one("SELECT to_regclass(%s) IS NOT NULL", (name,))
    if exists:
        shape = db.run("SELECT count(*), max(array_length(x, 1)) FROM %s" % name)[0]
        if shape == (n, d) and db.one("SELECT count(*) FROM %s_truth" % name) == k:
            return False
    t0 = time.perf_counter()
    rng = np.random.default_rng(int(seed * 1000))
    mu = rng.normal(0.0, 2.0 * (2.0 / d) ** 0.5, size=(k, d))
    sd = 0.5 + rng.random((k, d))
    db.run("DROP TABLE IF EXISTS %s, %s_truth" % (name, name))
    db.run("CREATE TABLE %s_truth (c int, mu float8[], sd float8[])" % name)
    for c in range(k):
        db.run("INSERT INTO " + name + "_truth VALUES (%s, %s, %s)", (c, mu[c].tolist(), sd[c].tolist()))
    db.run("CREATE TABLE %s (id int, x float8[])" % name)
    # binary COPY: per row 2 fields, id, then the array (header + d elements)
    rec = np.dtype([("nf", ">i2"), ("l_id", ">i4"), ("id", ">i4"), ("len", ">i4"),
                    ("ndim", ">i4"), ("nul", ">i4"), ("elem", ">u4"), ("dim", ">i4"),
                    ("lb", ">i4"), ("v", [("l", ">i4"), ("x", ">f8")], (d,))])
    chunk = 20000
    for r0 in range(0, n, chunk):
        m = min(chunk, n - r0)
        lab = rng.integers(0, k, size=m)
        x = mu[lab] + sd[lab] * rng.normal(size=(m, d))
        rows = np.zeros(m, dtype=rec)
        rows["nf"], rows["l_id"], rows["id"] = 2, 4, np.arange(r0 + 1, r0 + m + 1)
        rows["len"], rows["ndim"], rows["elem"], rows["dim"], rows["lb"] = 20 + 12 * d, 1, 701, d, 1
        rows["v"]["l"], rows["v"]["x"] = 8, x
        buf = io.BytesIO(b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8 + rows.tobytes() + b"\xff\xff")
        db.cur.copy_expert("COPY %s FROM STDIN (FORMAT binary)" % name, buf)
    db.run("VACUUM (FREEZE, ANALYZE) %s" % name)
    log("  generated %s: %d x %d in %.1f s (numpy)" % (name, n, d, time.perf_counter() - t0))
    return True


def export(db, name, d):
    """The rows as an n x d float64 array, bit for bit: binary COPY of the
    arrays themselves (one detoast per row), parsed as fixed-size records."""
    buf = io.BytesIO()
    db.cur.copy_expert("COPY (SELECT x FROM %s ORDER BY id) TO STDOUT (FORMAT binary)"
                       % name, buf)
    raw = buf.getvalue()
    # per row: field count, field length, the array header (ndim, has-null
    # flag, element type, length, lower bound), then d (length, value) pairs
    rec = np.dtype([("nf", ">i2"), ("len", ">i4"), ("ndim", ">i4"), ("nul", ">i4"),
                    ("elem", ">u4"), ("dim", ">i4"), ("lb", ">i4"),
                    ("v", [("l", ">i4"), ("x", ">f8")], (d,))])
    rows = np.frombuffer(raw[19:len(raw) - 2], dtype=rec)
    assert (rows["nf"] == 1).all() and (rows["dim"] == d).all() and (rows["elem"] == 701).all()
    assert (rows["v"]["l"] == 8).all()
    return np.ascontiguousarray(rows["v"]["x"].astype("<f8"))


def start_model(db, name, d, k, cov, seed):
    """The start every side gets: the true means moved by noise, uniform
    weights, unit covariances."""
    mu = np.array([r[0] for r in db.run("SELECT mu FROM %s_truth ORDER BY c" % name)])
    rng = np.random.default_rng(seed)
    means = mu + rng.normal(0.0, 0.5 * (2.0 / d) ** 0.5, size=mu.shape)
    weights = np.full(k, 1.0 / k)
    if cov == "full":
        covs = np.array([np.eye(d) for _ in range(k)])
    else:
        covs = np.ones((k, d))
    return weights, means, covs


def write_inputs(case, X, weights, means, covs):
    """Files for the other sides: numpy arrays and Armadillo's raw doubles."""
    np.save(os.path.join(OUT, case + ".npy"), X)
    np.savez(os.path.join(OUT, case + ".init.npz"),
             weights=weights, means=means, covariances=covs)
    with open(os.path.join(OUT, case + ".bin"), "wb") as f:
        np.array([X.shape[0], X.shape[1]], dtype="<i8").tofile(f)
        X.tofile(f)
    with open(os.path.join(OUT, case + ".init.bin"), "wb") as f:
        weights.astype("<f8").tofile(f)
        means.astype("<f8").tofile(f)
        covs.astype("<f8").tofile(f)


# ---------------------------------------------------------------- sides

def gmm_options(cov, iters, weights, means, covs):
    return json.dumps({
        "covariance_type": cov, "max_iter": iters, "tol": 0, "init": "given",
        "weights": weights.tolist(), "means": means.tolist(),
        "covariances": covs.tolist(), "reg_covar": 1e-6})


def run_gmm(db, name, c, iters, reps, start, threads=None, expr="x", extra=None):
    """gmm_fit with 1 and iters + 1 iterations, reps times, with gmm.threads
    set to threads (None: the default)."""
    runs = []
    model = ll = None
    db.run("SET gmm.threads = %s" % (threads if threads is not None else "DEFAULT"))
    try:
        for _ in range(reps):
            for n in (1, iters + 1):
                opts = json.loads(gmm_options(c["cov"], n, *start))
                opts.update(extra or {})
                t, rows = db.timed(
                    "SELECT m::text, gmm_n_iter(m), gmm_log_likelihood(m) FROM "
                    "(SELECT gmm_fit(" + expr + ", %s, %s::jsonb) AS m FROM " + name + ") s",
                    (c["k"], json.dumps(opts)))
                model, n_iter, ll = rows[0]
                if n_iter != n:
                    raise SystemExit("gmm_fit ran %d iterations, not %d" % (n_iter, n))
                runs.append({"iters": n, "seconds": t, "ll": ll})
    finally:
        db.run("RESET gmm.threads")
    return runs, model, ll


def per_iteration(runs, iters, key="iters", ran=None):
    """Median over repetitions of (t(N+1) - t(1)) / N, and median t(N+1)."""
    ones = [r for r in runs if r[key] == 1]
    many = [r for r in runs if r[key] == iters + 1]
    diffs = []
    for a, b in zip(ones, many):
        n = (b[ran] - a[ran]) if ran else iters
        if n > 0:
            diffs.append((b["seconds"] - a["seconds"]) / n)
    return median(diffs), median([r["seconds"] for r in many])


def sk_env():
    """The environment for scikit-learn: without the OpenBLAS core pinning
    that slows current numpy on some processors."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return env


def run_sklearn(case, c, iters, reps):
    """scikit-learn's fit of the case's rows from its start (own process)."""
    out = subprocess.run(
        ["/usr/bin/python3", os.path.join(HERE, "sk_side.py"), "fit", OUT, case,
         c["cov"], str(c["k"]), str(iters), str(reps)],
        check=True, capture_output=True, text=True, env=sk_env())
    res = json.loads(out.stdout)
    for r in res["runs"]:
        if r["n_iter"] != r["iters"]:
            raise SystemExit("scikit-learn ran %d iterations, not %d" % (r["n_iter"], r["iters"]))
    return res


def build_arma():
    exe = os.path.join(OUT, "arma_gmm")
    src = os.path.join(HERE, "arma_gmm.cpp")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        # Armadillo at its best: -O3, this CPU's instructions, OpenMP threads
        subprocess.run(["g++", "-O3", "-march=native", "-fopenmp", "-DARMA_NO_DEBUG",
                        "-o", exe, src, "-larmadillo"], check=True)
    return exe


def build_machine():
    """bench/machine.c: the read-bandwidth and dgemm measurements."""
    exe = os.path.join(OUT, "machine")
    src = os.path.join(HERE, "machine.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"],
                               capture_output=True, text=True).stdout.split() or ["-lopenblas"]
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-o", exe, src] + flags,
                       check=True)
    return exe


def machine(exe, what, size, reps, threads):
    """One measurement of bench/machine.c: (seconds, GB/s or GFLOP/s)."""
    out = subprocess.run([exe, what, str(size), str(reps), str(threads)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[1]), float(out[2])


def dgemm_gflops(exe):
    """OpenBLAS dgemm GFLOP/s with every CPU (at most 2 threads: the peers'
    count) and with one thread, the fastest of 5 products of 2048 x 2048."""
    two = min(2, os.cpu_count())
    return (max(machine(exe, "dgemm", 2048, 5, two)[1] for _ in range(2)),
            max(machine(exe, "dgemm", 2048, 5, 1)[1] for _ in range(2)))


def run_arma(exe, case, c, iters, reps):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(os.cpu_count())
    out = subprocess.run(
        [exe, os.path.join(OUT, case + ".bin"), os.path.join(OUT, case + ".init.bin"),
         c["cov"], str(c["k"]), str(iters), str(reps)],
        check=True, capture_output=True, text=True, env=env)
    runs = []
    for line in out.stdout.splitlines():
        f = line.split()
        if f and f[0] == "run":
            runs.append({"iters": int(f[2]), "ran": int(f[3]), "seconds": float(f[4]),
                         "ll": float(f[5])})
    return runs


# ---------------------------------------------------------------- report

def fmt_ms(s):
    return "%.1f ms" % (s * 1e3) if s == s else "n/a"


def ratio(a, b):
    return a / b if a == a and b == b and b > 0 else float("nan")


def fmt_x(r):
    return "%.1fx" % r if r == r else "n/a"


def verdict(ok):
    return "met" if ok else "NOT met"


def others_running(samples=10):
    """Processes of other users of the machine ready to run, averaged over
    half a second (the runnable count of /proc/loadavg less this reader)."""
    total = 0
    for _ in range(samples):
        with open("/proc/loadavg") as f:
            total += int(f.read().split()[3].split("/")[0]) - 1
        time.sleep(0.05)
    return total / samples


def settle(max_wait=60.0):
    """Before a case: wait (up to max_wait seconds) until at most one other
    process is running; returns the load to print with the case."""
    t0 = time.perf_counter()
    busy = others_running()
    while busy > 1.0 and time.perf_counter() - t0 < max_wait:
        time.sleep(5)
        busy = others_running()
    return "load %s, %.1f other processes running%s" % (
        load_average(), busy, " (busy: expect noise)" if busy > 1.0 else "")


def fit_case(db, case, c, iters, reps, arma_exe, mach, results):
    name = case.lower()
    iters = min(iters, c.get("max_iters", iters))
    peer_reps = min(reps, c.get("peer_reps", reps))
    make = generate_numpy if c["d"] >= 256 else generate
    make(db, name, c["n"], c["d"], c["k"], 0.1 + 0.01 * int(case[1]))
    X = export(db, name, c["d"])
    start = start_model(db, name, c["d"], c["k"], c["cov"], int(case[1]))
    write_inputs(case, X, *start)
    arma_case, arma_scale = case, 1.0
    if c.get("arma_rows") and c["arma_rows"] < c["n"]:
        # Armadillo's gmm_full takes about a minute per iteration here: it
        # runs on the first arma_rows rows, its times scaled to all of them
        arma_case, arma_scale = case + ".head", c["n"] / c["arma_rows"]
        write_inputs(arma_case, X[:c["arma_rows"]], *start)
    del X
    load = settle()

    g_runs, model, g_ll = run_gmm(db, name, c, iters, reps, start)
    g_it, g_tot = per_iteration(g_runs, iters)
    g1_runs, _, g1_ll = run_gmm(db, name, c, iters, reps, start, threads=1)
    g1_it, g1_tot = per_iteration(g1_runs, iters)
    if g1_ll != g_ll:
        raise SystemExit("%s: gmm.threads = 1 gives log-likelihood %r, the default %r"
                         % (case, g1_ll, g_ll))
    sk = run_sklearn(case, c, iters, peer_reps)
    s_it, s_tot = per_iteration(sk["runs"], iters)
    a_runs = run_arma(arma_exe, arma_case, c, iters, peer_reps)
    a_it, a_tot = per_iteration(a_runs, iters, ran="ran")
    a_it, a_tot = a_it * arma_scale, a_tot * arma_scale
    a_note = "" if arma_scale == 1.0 else \
        ", measured on the first %d rows and scaled x%g" % (c["arma_rows"], arma_scale)
    a_ran = median([r["ran"] for r in a_runs if r["iters"] == iters + 1])

    r_sk, r_arma = ratio(s_it, g_it), ratio(a_it, g_it)
    t = PEER_TARGETS[case]
    checks = []
    if c["target_ms"]:
        checks.append("<= %g ms %s" % (c["target_ms"], verdict(g_it * 1e3 <= c["target_ms"])))
    if case == "F5":
        fastest = min(s_it, a_it)
        checks.append(">= 3x the fastest peer %s (%s)"
                      % (verdict(ratio(fastest, g_it) >= 3.0), fmt_x(ratio(fastest, g_it))))
    else:
        if t["sk"]:
            checks.append(">= %gx sklearn %s" % (t["sk"], verdict(r_sk >= t["sk"])))
        if t["arma"]:
            checks.append(">= %gx armadillo %s" % (t["arma"], verdict(r_arma >= t["arma"])))
    if case in ("F1", "F2"):
        checks.append("total >= 5x sklearn fit %s" % verdict(ratio(s_tot, g_tot) >= 5))
    machine_note = ""
    res = dict(case=case, what="EM iteration %dx%d k=%d %s" % (c["n"], c["d"], c["k"], c["cov"]))
    if c["cov"] == "diag" and c["d"] >= 32:
        # one read pass over the rows, as many threads as gmm used
        threads = int(db.one("SELECT least(%s, current_setting('max_parallel_workers_per_gather')::int + 1)",
                             (os.cpu_count(),)))
        pass_s, gbs = machine(mach, "bw", c["n"] * c["d"] * 8, 9, threads)
        machine_note = ("; one read pass over the %.0f MB of rows %s (%.1f GB/s, %d threads): "
                        "gmm's iteration is %s of it" % (c["n"] * c["d"] * 8 / 2**20, fmt_ms(pass_s),
                                                         gbs, threads, fmt_x(ratio(g_it, pass_s))))
        if case == "F5":
            checks.append("within %gx of a read pass %s (%s)"
                          % (BANDWIDTH_FACTOR, verdict(g_it <= BANDWIDTH_FACTOR * pass_s),
                             fmt_x(ratio(g_it, pass_s))))
        res["pass_ms"] = pass_s * 1e3
    if case == "F6":
        # forward substitution (n k d^2 flops) and second moments (n k d(d+1))
        flops = c["n"] * c["k"] * (2.0 * c["d"] ** 2 + c["d"])
        dg2, dg1 = dgemm_gflops(mach)
        gf, gf1 = flops / g_it / 1e9, flops / g1_it / 1e9
        machine_note = ("; E- and M-step %.0f GFLOP per iteration: gmm %.1f GFLOP/s, gmm.threads=1 "
                        "%.1f GFLOP/s; OpenBLAS dgemm %.1f GFLOP/s on 2 cores, %.1f on 1: %.0f%% and %.0f%% of it"
                        % (flops / 1e9, gf, gf1, dg2, dg1, 100 * gf / dg2, 100 * gf1 / dg1))
        checks.append(">= %.0f%% of 2-core dgemm %s (%.0f%%)"
                      % (100 * DGEMM_SHARE, verdict(gf >= DGEMM_SHARE * dg2), 100 * gf / dg2))
        res["gflops"], res["dgemm_gflops"] = gf, dg2
    print("%s %dx%d k=%d %s: per iteration gmm %s (gmm.threads=1: %s), sklearn %s (%s), "
          "armadillo %s (%s, %d of %d iterations run%s); "
          "total gmm %.2f s (incl. scan; gmm.threads=1: %.2f s), sklearn %.2f s (%s), armadillo %.2f s; "
          "gmm %.1fM rows/s; mean log-lik gmm %.6f sklearn %.6f armadillo %.6f%s; %d iterations, "
          "median of %d runs (peers %d); %s; targets: %s"
          % (case, c["n"], c["d"], c["k"], c["cov"], fmt_ms(g_it), fmt_ms(g1_it), fmt_ms(s_it),
             fmt_x(r_sk), fmt_ms(a_it), fmt_x(r_arma), a_ran, iters + 1, a_note, g_tot, g1_tot, s_tot,
             fmt_x(ratio(s_tot, g_tot)), a_tot, c["n"] / g_it / 1e6, g_ll, sk["score"],
             median([r["ll"] for r in a_runs if r["iters"] == iters + 1]) if arma_scale == 1.0
             else float("nan"), machine_note,
             iters, reps, peer_reps, load, "; ".join(checks)),
          flush=True)
    res.update(gmm_ms=g_it * 1e3, gmm1_ms=g1_it * 1e3, sklearn_ms=s_it * 1e3,
               armadillo_ms=a_it * 1e3, sklearn_over_gmm=r_sk, armadillo_over_gmm=r_arma,
               gmm_total_s=g_tot, sklearn_total_s=s_tot, armadillo_total_s=a_tot,
               rows_per_s=c["n"] / g_it, target="; ".join(checks))
    results.append(res)
    return model, sk["blas"], start


def scoring_case(db, model, reps, results, quick):
    """S1: gmm_predict and gmm_logpdf over F2's table vs a plain scan and
    scikit-learn's predict, serially (the targets) and with the plan
    PostgreSQL picks by default (parallel where it can)."""
    c = CASES["F2"]
    n = c["n"]
    queries = {
        "scan": "SELECT sum(x[1]) FROM f2",
        "gmm_predict": "SELECT sum(gmm_predict(%s::gmm, x)) FROM f2",
        "gmm_logpdf": "SELECT sum(gmm_logpdf(%s::gmm, x)) FROM f2",
    }
    default_workers = db.one("SHOW max_parallel_workers_per_gather")
    times = {}
    out = {}
    load = settle()
    # queries of a fraction of a second: more runs against the noise
    for plan, workers in (("serial", "0"), ("parallel", default_workers)):
        db.run("SET max_parallel_workers_per_gather = %s" % workers)
        for q in queries:
            times[plan, q] = []
        for _ in range(max(reps, 5)):
            for q, sql in queries.items():
                t, rows = db.timed(sql, (model,) if "%s" in sql else None)
                times[plan, q].append(t)
                out[q] = rows[0][0]
        explain = db.run("EXPLAIN SELECT sum(gmm_predict(%s::gmm, x)) FROM f2", (model,))
        planned = [r[0].strip() for r in explain if "Workers Planned" in r[0]]
        times[plan, "plan"] = planned[0] if planned else "no parallel plan"
    db.run("RESET max_parallel_workers_per_gather")
    # the model for scikit-learn, from gmm's parameters
    w = np.array(db.one("SELECT gmm_weights(%s::gmm)", (model,)))
    mu = np.array(db.one("SELECT gmm_means(%s::gmm)", (model,)))
    cov = np.array(db.one("SELECT gmm_covariances(%s::gmm)", (model,)))
    np.savez(os.path.join(OUT, "F2.model.npz"), weights=w, means=mu, covariances=cov,
             cov_type=np.array("full"))
    res = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "sk_side.py"), "predict",
                          OUT, "F2", str(max(reps, 5))], check=True, capture_output=True,
                         text=True, env=sk_env())
    sk = json.loads(res.stdout)
    sk_t = median(sk["seconds"])
    agree = "labels agree" if sk["label_sum"] == out["gmm_predict"] else \
        "label sums differ (%s vs %s)" % (out["gmm_predict"], sk["label_sum"])
    scan = median(times["serial", "scan"])
    pscan = median(times["parallel", "scan"])
    for q in ("gmm_predict", "gmm_logpdf"):
        t = median(times["serial", q])
        pt = median(times["parallel", q])
        if times["parallel", "plan"] == "no parallel plan":
            par = "no parallel plan with max_parallel_workers_per_gather = %s" % default_workers
        elif pt >= t:
            par = ("the parallel plan (%s) is SLOWER than the serial one on this machine: "
                   "%s against %s serially (plain scan %s parallel, %s serial)"
                   % (times["parallel", "plan"], fmt_ms(pt), fmt_ms(t), fmt_ms(pscan), fmt_ms(scan)))
        else:
            par = ("the parallel plan (%s) takes %s, %s faster than serial (plain scan %s parallel)"
                   % (times["parallel", "plan"], fmt_ms(pt), fmt_x(t / pt), fmt_ms(pscan)))
        best = min(t, pt)
        checks = ["serial <= %gx serial scan %s (%s)"
                  % (SCORE_TARGETS[q], verdict(t <= SCORE_TARGETS[q] * scan), fmt_x(ratio(t, scan))),
                  "faster than sklearn predict %s" % verdict(best < sk_t)]
        print("S1 %s over %dx%d k=%d full, serial: %s, plain scan %s (%s of it), sklearn predict %s "
              "(%s); %.1fM rows/s; %s; %s; %s; targets: %s"
              % (q, n, c["d"], c["k"], fmt_ms(t), fmt_ms(scan), fmt_x(ratio(t, scan)), fmt_ms(sk_t),
                 fmt_x(ratio(sk_t, best)), n / t / 1e6, par, agree, load, "; ".join(checks)),
              flush=True)
        results.append(dict(case="S1", what="%s %dx%d k=%d, serial" % (q, n, c["d"], c["k"]),
                            gmm_ms=t * 1e3, sklearn_ms=sk_t * 1e3, armadillo_ms=float("nan"),
                            sklearn_over_gmm=ratio(sk_t, best), armadillo_over_gmm=float("nan"),
                            gmm_total_s=t, sklearn_total_s=sk_t, armadillo_total_s=float("nan"),
                            rows_per_s=n / t, target="; ".join(checks),
                            scan_ms=scan * 1e3, parallel_ms=pt * 1e3, parallel_scan_ms=pscan * 1e3))


def train_case(db, model, iters, reps, results):
    """T1: gmm_train iterations over F2's table from a start model, with 0 and
    2 parallel workers, against a plain scan with the same settings."""
    have = db.one("SELECT count(*) FROM pg_proc WHERE proname = 'gmm_train'")
    if not have:
        print("T1 gmm_train: not available (no gmm_train in this build)", flush=True)
        return
    c = CASES["F2"]
    per = {}
    load = settle()
    for workers in (0, 2):
        db.run("SET max_parallel_workers_per_gather = %d" % workers)
        runs = []
        scans = []
        for _ in range(reps):
            for n in (1, iters + 1):
                t, _ = db.timed("SELECT gmm_train('f2', 'x', %s::gmm, %s::jsonb)",
                                (model, json.dumps({"max_iter": n, "tol": 0})))
                runs.append({"iters": n, "seconds": t})
            for _ in range(2):
                t, _ = db.timed("SELECT sum(x[1]) FROM f2")
                scans.append(t)
        it, _ = per_iteration(runs, iters)
        per[workers] = (it, median(scans))
    db.run("RESET max_parallel_workers_per_gather")
    for workers in (0, 2):
        it, scan = per[workers]
        checks = ["<= 1.5x scan %s" % verdict(it <= 1.5 * scan)]
        note = ""
        if workers == 2:
            checks.append(">= 1.6x faster than 0 workers %s (%s)"
                          % (verdict(per[0][0] / it >= 1.6), fmt_x(per[0][0] / it)))
            if it >= per[0][0]:
                note = ("; 2 parallel workers are SLOWER than none on this machine (%s against %s "
                        "serially)" % (fmt_ms(it), fmt_ms(per[0][0])))
        print("T1 gmm_train %dx%d k=%d full, %d parallel workers: per iteration %s, plain scan %s with "
              "the same setting (%s of it); %.1fM rows/s%s; %s; targets: %s"
              % (c["n"], c["d"], c["k"], workers, fmt_ms(it), fmt_ms(scan), fmt_x(ratio(it, scan)),
                 c["n"] / it / 1e6, note, load, "; ".join(checks)), flush=True)
        results.append(dict(case="T1", what="gmm_train iteration %dx%d k=%d, %d workers"
                            % (c["n"], c["d"], c["k"], workers),
                            gmm_ms=it * 1e3, sklearn_ms=float("nan"), armadillo_ms=float("nan"),
                            sklearn_over_gmm=float("nan"), armadillo_over_gmm=float("nan"),
                            gmm_total_s=float("nan"), sklearn_total_s=float("nan"),
                            armadillo_total_s=float("nan"), rows_per_s=c["n"] / it,
                            target="; ".join(checks), scan_ms=scan * 1e3))


def proc_status(pid):
    vals = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                vals[key] = int(rest.split()[0]) * 1024
    return vals


def fit_peak(case, iters, start, expr="x", extra=None):
    """Peak memory of a fresh backend running gmm_fit on a case's table:
    (peak less the shared buffers it touched, VmHWM, shared, at connection,
    seconds of the fit)."""
    c = CASES[case]
    db = Db()
    pid = db.one("SELECT pg_backend_pid()")
    base = proc_status(pid)
    opts = json.loads(gmm_options(c["cov"], iters, *start))
    opts.update(extra or {})
    t, _ = db.timed("SELECT gmm_n_iter(gmm_fit(" + expr + ", %s, %s::jsonb)) FROM " + case.lower(),
                    (c["k"], json.dumps(opts)))
    st = proc_status(pid)
    db.close()
    # shared buffers the backend touched count in its RSS but are not its own
    return st["VmHWM"] - st["RssShmem"], st["VmHWM"], st["RssShmem"], base["VmHWM"], t


def memory_case(iters, start, results):
    """M1: peak memory of a fresh backend running gmm_fit on F2."""
    c = CASES["F2"]
    peak, hwm, shm, base, _ = fit_peak("F2", iters, start)
    raw = c["n"] * c["d"] * 8
    limit = 1.25 * raw + 64 * 2**20
    mb = 2.0**20
    print("M1 gmm_fit on F2 (%dx%d, raw rows %.0f MB): peak backend memory %.0f MB "
          "(VmHWM %.0f MB less %.0f MB of shared buffers; %.0f MB at connection); "
          "limit 1.25 x raw + 64 MB = %.0f MB: %s"
          % (c["n"], c["d"], raw / mb, peak / mb, hwm / mb, shm / mb,
             base / mb, limit / mb, verdict(peak <= limit)), flush=True)
    results.append(dict(case="M1", what="peak backend memory of gmm_fit on F2 (MB)",
                        target="<= %.0f MB %s" % (limit / mb, verdict(peak <= limit)),
                        peak_mb=peak / mb))


def has_float4_storage(db):
    """Whether this gmm takes the option {"storage": "float4"} (issue 13)."""
    try:
        db.run("SELECT gmm_fit(x, 1, '{\"storage\": \"float4\", \"max_iter\": 1}') "
               "FROM (VALUES (ARRAY[1, 2]::real[]), (ARRAY[2, 4]::real[]), "
               "(ARRAY[3, 5]::real[])) t(x)")
        return True
    except psycopg2.Error:
        return False


def memory_f5_case(db, iters, start, results):
    """M5: peak backend memory of gmm_fit on F5, with float8 rows and, where
    gmm has the option, float4 storage of the real[] rows."""
    c = CASES["F5"]
    raw = c["n"] * c["d"] * 8
    mb = 2.0**20
    load = settle()
    peak, hwm, shm, base, t = fit_peak("F5", iters, start)
    ok = peak <= 1.1 * raw
    print("M5 gmm_fit on F5 (%dx%d, raw float8 rows %.0f MB): peak backend memory %.0f MB = %.2fx the raw "
          "rows (VmHWM %.0f MB less %.0f MB of shared buffers; %.0f MB at connection; fit %.1f s); %s; "
          "target <= 1.1x %s"
          % (c["n"], c["d"], raw / mb, peak / mb, peak / raw, hwm / mb, shm / mb, base / mb, t, load,
             verdict(ok)), flush=True)
    results.append(dict(case="M5", what="peak backend memory of gmm_fit on F5, float8 rows (MB)",
                        target="<= 1.1x raw (%.0f MB) %s (%.2fx)" % (1.1 * raw / mb, verdict(ok), peak / raw),
                        peak_mb=peak / mb))
    if not has_float4_storage(db):
        print("M5 gmm_fit on F5 with {\"storage\": \"float4\"}: n/a (option not available)", flush=True)
        results.append(dict(case="M5", what="... with {\"storage\": \"float4\"} (MB)",
                            target="<= 0.6x raw: n/a (option not available)", peak_mb=float("nan")))
        return
    peak4, hwm, shm, base, t4 = fit_peak("F5", iters, start, expr="x::real[]",
                                         extra={"storage": "float4"})
    ok = peak4 <= 0.6 * raw
    print("M5 gmm_fit on F5 with {\"storage\": \"float4\"} over x::real[]: peak backend memory %.0f MB = "
          "%.2fx the raw float8 rows (VmHWM %.0f MB less %.0f MB of shared buffers; fit %.1f s, float8 %.1f s); "
          "target <= 0.6x %s"
          % (peak4 / mb, peak4 / raw, hwm / mb, shm / mb, t4, t, verdict(ok)), flush=True)
    results.append(dict(case="M5", what="... with {\"storage\": \"float4\"} (MB)",
                        target="<= 0.6x raw (%.0f MB) %s (%.2fx)" % (0.6 * raw / mb, verdict(ok), peak4 / raw),
                        peak_mb=peak4 / mb))


# The cases measured by scripts of their own (each against the same PG*
# environment): code -> (script, what, arguments of a full run, of --quick)
SCRIPT_CASES = {
    "SP": ("spill.py", "gmm_fit spilling to a temporary file (8x its memory budget) vs in memory",
           [], ["--rows", "400000", "--reps", "1", "--iters", "3"]),
    "MS": ("missing.py", "incomplete rows (\"missing\": \"marginalize\") vs complete rows",
           ["--rows", "200000"], ["--rows", "200000", "--reps", "1"]),
    "VB": ("bayes.py", "one variational iteration vs one EM iteration on F2, beside BayesianGaussianMixture",
           [], ["--reps", "1", "--iters", "2"]),
}


def script_case(code, quick):
    """SP, MS, VB: a script of bench/ run with the same PG* environment; its
    lines are printed as they come, prefixed by the case's code."""
    script, what, full_args, quick_args = SCRIPT_CASES[code]
    path = os.path.join(HERE, script)
    if not os.path.exists(path):
        print("%s %s: skipped (no bench/%s in this tree)" % (code, what, script), flush=True)
        return
    args = quick_args if quick else full_args
    print("%s %s: bench/%s %s(%s)" % (code, what, script, " ".join(args) + " " if args else "",
                                       settle()), flush=True)
    res = subprocess.run(["/usr/bin/python3", path] + args, capture_output=True, text=True)
    for line in res.stdout.splitlines():
        print("%s   %s" % (code, line), flush=True)
    if res.returncode != 0:
        print("%s   failed (exit %d): %s" % (code, res.returncode, res.stderr.strip()[-500:]), flush=True)


def markdown_table(results):
    """The results as the Markdown table of docs/performance.md."""
    def ms(v):
        return "%.1f ms" % v if v == v else "—"

    def x(v):
        return "%.1f×" % v if v == v else "—"

    lines = ["| case | measure | gmm | gmm, gmm.threads = 1 | scikit-learn | Armadillo | "
             "sklearn / gmm | Armadillo / gmm | targets |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r["case"].startswith("M"):
            lines.append("| %s | %s | %s | — | — | — | — | — | %s |"
                         % (r["case"], r["what"],
                            "%.0f MB" % r["peak_mb"] if r["peak_mb"] == r["peak_mb"] else "n/a",
                            r["target"]))
            continue
        gmm, sk, ar = ms(r["gmm_ms"]), ms(r["sklearn_ms"]), ms(r["armadillo_ms"])
        one = ms(r.get("gmm1_ms", float("nan")))
        if r.get("scan_ms"):
            gmm += " (plain scan %s)" % ms(r["scan_ms"])
        if r.get("parallel_ms"):
            gmm += "; parallel plan %s (scan %s)" % (ms(r["parallel_ms"]), ms(r["parallel_scan_ms"]))
        if r["case"].startswith("F"):
            gmm += " (whole fit %.2f s)" % r["gmm_total_s"]
            sk += " (%.2f s)" % r["sklearn_total_s"]
            ar += " (%.2f s)" % r["armadillo_total_s"]
        if r.get("pass_ms"):
            gmm += "; read pass %s" % ms(r["pass_ms"])
        if r.get("gflops"):
            gmm += "; %.0f GFLOP/s, dgemm %.0f" % (r["gflops"], r["dgemm_gflops"])
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["case"], r["what"], gmm, one, sk, ar,
            x(r["sklearn_over_gmm"]), x(r["armadillo_over_gmm"]), r["target"]))
    return "\n".join(lines)


def write_outputs(results):
    keys = ["case", "what", "gmm_ms", "gmm1_ms", "sklearn_ms", "armadillo_ms", "sklearn_over_gmm",
            "armadillo_over_gmm", "gmm_total_s", "sklearn_total_s", "armadillo_total_s",
            "rows_per_s", "scan_ms", "parallel_ms", "parallel_scan_ms", "pass_ms", "gflops",
            "dgemm_gflops", "peak_mb", "target"]
    path = os.path.join(OUT, "results.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in results:
            w.writerow({k: r.get(k, "") for k in keys})
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart")
        return
    rows = [r for r in results
            if r.get("sklearn_over_gmm", float("nan")) == r.get("sklearn_over_gmm", float("nan"))]
    labels = ["%s\n%s" % (r["case"], r["what"].split(" ")[0] if r["case"] == "S1" else "")
              for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    sk = [r["sklearn_over_gmm"] for r in rows]
    ar = [r["armadillo_over_gmm"] if r["armadillo_over_gmm"] == r["armadillo_over_gmm"] else 0
          for r in rows]
    b1 = ax.bar(x - 0.2, sk, 0.4, label="scikit-learn time / gmm time")
    b2 = ax.bar(x + 0.2, ar, 0.4, label="Armadillo time / gmm time")
    ax.bar_label(b1, labels=["%.1fx" % v for v in sk], fontsize=8)
    ax.bar_label(b2, labels=["%.1fx" % v if v else "" for v in ar], fontsize=8)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_yscale("log")
    ax.set_ylabel("speed-up of gmm (log scale)")
    ax.set_title("gmm vs scikit-learn and Armadillo (per EM iteration; S1: per query)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "ratios.png"), dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10x fewer rows, 3 iterations, 1 run")
    ap.add_argument("--reps", type=int, default=None, help="runs per measurement (default 3)")
    ap.add_argument("--iters", type=int, default=None, help="EM iterations N (default 10)")
    ap.add_argument("--cases", default="F1,F2,F3,F4,F5,F6,S1,T1,M1,M5,SP,MS,VB")
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    iters = args.iters or (3 if args.quick else 10)
    if args.quick:
        for c in CASES.values():
            c["n"] //= 10
            if "arma_rows" in c:
                c["arma_rows"] //= 4
    wanted = args.cases.split(",")
    os.makedirs(OUT, exist_ok=True)

    db = Db()
    db.run("CREATE EXTENSION IF NOT EXISTS gmm")
    db.run("LOAD 'gmm'")
    threads = db.one("SELECT current_setting('gmm.threads', true)")
    print("gmm benchmark: %d CPUs, load average %s, %d iterations, median of %d runs%s; "
          "gmm.threads = %s (each fit also with gmm.threads = 1), max_parallel_workers_per_gather = %s"
          % (os.cpu_count(), load_average(), iters, reps, ", quick" if args.quick else "",
             threads, db.one("SHOW max_parallel_workers_per_gather")), flush=True)
    arma_exe = build_arma()
    mach = build_machine()
    results = []
    model_f2 = None
    blas = None
    starts = {}
    for case in FIT_CASES:
        if case in wanted or (case == "F2" and {"S1", "T1", "M1"} & set(wanted)) or \
                (case == "F5" and "M5" in wanted):
            model, blas, starts[case] = fit_case(db, case, CASES[case], iters, reps, arma_exe,
                                                 mach, results)
            if case == "F2":
                model_f2 = model
    if "S1" in wanted:
        scoring_case(db, model_f2, reps, results, args.quick)
    if "T1" in wanted:
        train_case(db, model_f2, iters, reps, results)
    if "M1" in wanted:
        memory_case(iters, starts["F2"], results)
    if "M5" in wanted:
        memory_f5_case(db, iters, starts["F5"], results)
    for code in SCRIPT_CASES:
        if code in wanted:
            script_case(code, args.quick)
    print("scikit-learn's BLAS: %s; load average at the end %s" % (blas, load_average()),
          flush=True)
    db.close()
    table = markdown_table(results)
    print()
    print(table)
    with open(os.path.join(OUT, "table.md"), "w") as f:
        f.write(table + "\n")
    write_outputs(results)
    print("wrote %s and %s" % (os.path.join(OUT, "results.csv"), os.path.join(OUT, "ratios.png")))


if __name__ == "__main__":
    main()
