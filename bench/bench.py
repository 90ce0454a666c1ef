"""The gmm benchmark driver (run by bench/run.sh with /usr/bin/python3).

Generates the datasets inside the PostgreSQL cluster the PG* variables point
at (the same rows for every side), exports them to numpy (for scikit-learn)
and to a raw binary file (for the Armadillo driver), runs each case a few
times on each side, and prints one line per case with medians, ratios and
rows/s.  Writes bench/out/results.csv and bench/out/ratios.png.

Cases (issue 6): F1-F4 EM iterations from a given start with convergence
checks off; S1 scoring queries against a plain scan and scikit-learn's
predict; T1 gmm_train iterations with 0 and 2 parallel workers against a plain
scan; M1 peak backend memory of gmm_fit on F2.

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
}
# minimum speed-up over each peer per case (issue 6)
PEER_TARGETS = {
    "F1": dict(sk=10.0, arma=2.5),
    "F2": dict(sk=7.0, arma=2.0),
    "F3": dict(sk=4.0, arma=5.0),
    "F4": dict(sk=4.0, arma=2.0),
}


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


def export(db, name, d):
    """The rows as an n x d float64 array, bit for bit (binary COPY)."""
    cols = ", ".join("x[%d]" % (i + 1) for i in range(d))
    buf = io.BytesIO()
    db.cur.copy_expert("COPY (SELECT %s FROM %s ORDER BY id) TO STDOUT (FORMAT binary)"
                       % (cols, name), buf)
    raw = buf.getvalue()
    fields = [("nf", ">i2")]
    for i in range(d):
        fields += [("l%d" % i, ">i4"), ("v%d" % i, ">f8")]
    rec = np.frombuffer(raw[19:len(raw) - 2], dtype=np.dtype(fields))
    assert (rec["nf"] == d).all() and (rec["l0"] == 8).all()
    return np.ascontiguousarray(
        np.stack([rec["v%d" % i] for i in range(d)], axis=1).astype("<f8"))


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


def run_gmm(db, name, c, iters, reps, start):
    """gmm_fit with 1 and iters + 1 iterations, reps times."""
    runs = []
    model = None
    for _ in range(reps):
        for n in (1, iters + 1):
            opts = gmm_options(c["cov"], n, *start)
            t, rows = db.timed(
                "SELECT m::text, gmm_n_iter(m), gmm_log_likelihood(m) FROM "
                "(SELECT gmm_fit(x, %s, %s::jsonb) AS m FROM " + name + ") s",
                (c["k"], opts))
            model, n_iter, ll = rows[0]
            if n_iter != n:
                raise SystemExit("gmm_fit ran %d iterations, not %d" % (n_iter, n))
            runs.append({"iters": n, "seconds": t, "ll": ll})
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


def fit_case(db, case, c, iters, reps, arma_exe, results):
    name = case.lower()
    generate(db, name, c["n"], c["d"], c["k"], 0.1 + 0.01 * int(case[1]))
    X = export(db, name, c["d"])
    start = start_model(db, name, c["d"], c["k"], c["cov"], int(case[1]))
    write_inputs(case, X, *start)

    g_runs, model, g_ll = run_gmm(db, name, c, iters, reps, start)
    g_it, g_tot = per_iteration(g_runs, iters)
    sk = run_sklearn(case, c, iters, reps)
    s_it, s_tot = per_iteration(sk["runs"], iters)
    a_runs = run_arma(arma_exe, case, c, iters, reps)
    a_it, a_tot = per_iteration(a_runs, iters, ran="ran")
    a_ran = median([r["ran"] for r in a_runs if r["iters"] == iters + 1])

    r_sk, r_arma = ratio(s_it, g_it), ratio(a_it, g_it)
    t = PEER_TARGETS[case]
    checks = ["<= %g ms %s" % (c["target_ms"], verdict(g_it * 1e3 <= c["target_ms"])),
              ">= %gx sklearn %s" % (t["sk"], verdict(r_sk >= t["sk"])),
              ">= %gx armadillo %s" % (t["arma"], verdict(r_arma >= t["arma"]))]
    if case in ("F1", "F2"):
        checks.append("total >= 5x sklearn fit %s" % verdict(ratio(s_tot, g_tot) >= 5))
    print("%s %dx%d k=%d %s: per iteration gmm %s, sklearn %s (%s), armadillo %s (%s, %d of %d iterations run); "
          "total gmm %.2f s (incl. scan), sklearn %.2f s (%s), armadillo %.2f s; "
          "gmm %.1fM rows/s; mean log-lik gmm %.6f sklearn %.6f armadillo %.6f; targets: %s"
          % (case, c["n"], c["d"], c["k"], c["cov"], fmt_ms(g_it), fmt_ms(s_it), fmt_x(r_sk),
             fmt_ms(a_it), fmt_x(r_arma), a_ran, iters + 1, g_tot, s_tot, fmt_x(ratio(s_tot, g_tot)),
             a_tot, c["n"] / g_it / 1e6, g_ll, sk["score"],
             median([r["ll"] for r in a_runs if r["iters"] == iters + 1]), "; ".join(checks)),
          flush=True)
    results.append(dict(case=case, what="EM iteration %dx%d k=%d %s" % (c["n"], c["d"], c["k"], c["cov"]),
                        gmm_ms=g_it * 1e3, sklearn_ms=s_it * 1e3, armadillo_ms=a_it * 1e3,
                        sklearn_over_gmm=r_sk, armadillo_over_gmm=r_arma,
                        gmm_total_s=g_tot, sklearn_total_s=s_tot, armadillo_total_s=a_tot,
                        rows_per_s=c["n"] / g_it, target="; ".join(checks)))
    return model, sk["blas"]


def scoring_case(db, model, reps, results, quick):
    """S1: gmm_predict and gmm_logpdf over F2's table vs a plain scan and
    scikit-learn's predict."""
    c = CASES["F2"]
    n = c["n"]
    queries = {
        "scan": "SELECT sum(x[1]) FROM f2",
        "gmm_predict": "SELECT sum(gmm_predict(%s::gmm, x)) FROM f2",
        "gmm_logpdf": "SELECT sum(gmm_logpdf(%s::gmm, x)) FROM f2",
    }
    times = {q: [] for q in queries}
    out = {}
    for _ in range(reps):
        for q, sql in queries.items():
            t, rows = db.timed(sql, (model,) if "%s" in sql else None)
            times[q].append(t)
            out[q] = rows[0][0]
    workers = db.run("EXPLAIN SELECT sum(gmm_predict(%s::gmm, x)) FROM f2", (model,))
    planned = [r[0] for r in workers if "Workers Planned" in r[0]]
    # the model for scikit-learn, from gmm's parameters
    w = np.array(db.one("SELECT gmm_weights(%s::gmm)", (model,)))
    mu = np.array(db.one("SELECT gmm_means(%s::gmm)", (model,)))
    cov = np.array(db.one("SELECT gmm_covariances(%s::gmm)", (model,)))
    np.savez(os.path.join(OUT, "F2.model.npz"), weights=w, means=mu, covariances=cov,
             cov_type=np.array("full"))
    res = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "sk_side.py"), "predict",
                          OUT, "F2", str(reps)], check=True, capture_output=True,
                         text=True, env=sk_env())
    sk = json.loads(res.stdout)
    scan = median(times["scan"])
    sk_t = median(sk["seconds"])
    agree = "labels agree" if sk["label_sum"] == out["gmm_predict"] else \
        "label sums differ (%s vs %s)" % (out["gmm_predict"], sk["label_sum"])
    for q in ("gmm_predict", "gmm_logpdf"):
        t = median(times[q])
        checks = ["<= 2x scan %s" % verdict(t <= 2 * scan),
                  "faster than sklearn predict %s" % verdict(t < sk_t)]
        print("S1 %s over %dx%d k=%d full (%s): %s, plain scan %s (%s of it), sklearn predict %s (%s); "
              "%.1fM rows/s; %s; targets: %s"
              % (q, n, c["d"], c["k"], planned[0].strip() if planned else "serial", fmt_ms(t),
                 fmt_ms(scan), fmt_x(ratio(t, scan)), fmt_ms(sk_t), fmt_x(ratio(sk_t, t)),
                 n / t / 1e6, agree, "; ".join(checks)), flush=True)
        results.append(dict(case="S1", what="%s %dx%d k=%d" % (q, n, c["d"], c["k"]),
                            gmm_ms=t * 1e3, sklearn_ms=sk_t * 1e3, armadillo_ms=float("nan"),
                            sklearn_over_gmm=ratio(sk_t, t), armadillo_over_gmm=float("nan"),
                            gmm_total_s=t, sklearn_total_s=sk_t, armadillo_total_s=float("nan"),
                            rows_per_s=n / t, target="; ".join(checks),
                            scan_ms=scan * 1e3))


def train_case(db, model, iters, reps, results):
    """T1: gmm_train iterations over F2's table from a start model, with 0 and
    2 parallel workers, against a plain scan with the same settings."""
    have = db.one("SELECT count(*) FROM pg_proc WHERE proname = 'gmm_train'")
    if not have:
        print("T1 gmm_train: not available (no gmm_train in this build)", flush=True)
        return
    c = CASES["F2"]
    per = {}
    for workers in (0, 2):
        db.run("SET max_parallel_workers_per_gather = %d" % workers)
        runs = []
        scans = []
        for _ in range(reps):
            for n in (1, iters + 1):
                t, _ = db.timed("SELECT gmm_train('f2', 'x', %s::gmm, %s::jsonb)",
                                (model, json.dumps({"max_iter": n, "tol": 0})))
                runs.append({"iters": n, "seconds": t})
            t, _ = db.timed("SELECT sum(x[1]) FROM f2")
            scans.append(t)
        it, _ = per_iteration(runs, iters)
        per[workers] = (it, median(scans))
    db.run("RESET max_parallel_workers_per_gather")
    for workers in (0, 2):
        it, scan = per[workers]
        checks = ["<= 1.5x scan %s" % verdict(it <= 1.5 * scan)]
        if workers == 2:
            checks.append(">= 1.6x faster than 0 workers %s (%s)"
                          % (verdict(per[0][0] / it >= 1.6), fmt_x(per[0][0] / it)))
        print("T1 gmm_train %dx%d k=%d full, %d parallel workers: per iteration %s, plain scan %s (%s of it); "
              "%.1fM rows/s; targets: %s"
              % (c["n"], c["d"], c["k"], workers, fmt_ms(it), fmt_ms(scan), fmt_x(ratio(it, scan)),
                 c["n"] / it / 1e6, "; ".join(checks)), flush=True)
        results.append(dict(case="T1", what="gmm_train iteration, %d workers" % workers,
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


def memory_case(iters, start, results):
    """M1: peak memory of a fresh backend running gmm_fit on F2."""
    c = CASES["F2"]
    db = Db()
    pid = db.one("SELECT pg_backend_pid()")
    base = proc_status(pid)
    db.run("SELECT gmm_n_iter(gmm_fit(x, %s, %s::jsonb)) FROM f2",
           (c["k"], gmm_options(c["cov"], iters, *start)))
    st = proc_status(pid)
    db.close()
    raw = c["n"] * c["d"] * 8
    # shared buffers the backend touched count in its RSS but are not its own
    peak = st["VmHWM"] - st["RssShmem"]
    limit = 1.25 * raw + 64 * 2**20
    mb = 2.0**20
    print("M1 gmm_fit on F2 (%dx%d, raw rows %.0f MB): peak backend memory %.0f MB "
          "(VmHWM %.0f MB less %.0f MB of shared buffers; %.0f MB at connection); "
          "limit 1.25 x raw + 64 MB = %.0f MB: %s"
          % (c["n"], c["d"], raw / mb, peak / mb, st["VmHWM"] / mb, st["RssShmem"] / mb,
             base["VmHWM"] / mb, limit / mb, verdict(peak <= limit)), flush=True)
    results.append(dict(case="M1", what="peak backend memory of gmm_fit on F2 (MB)",
                        gmm_ms=float("nan"), sklearn_ms=float("nan"), armadillo_ms=float("nan"),
                        sklearn_over_gmm=float("nan"), armadillo_over_gmm=float("nan"),
                        gmm_total_s=float("nan"), sklearn_total_s=float("nan"),
                        armadillo_total_s=float("nan"), rows_per_s=float("nan"),
                        target="<= %.0f MB %s" % (limit / mb, verdict(peak <= limit)),
                        peak_mb=peak / mb))


def write_outputs(results):
    keys = ["case", "what", "gmm_ms", "sklearn_ms", "armadillo_ms", "sklearn_over_gmm",
            "armadillo_over_gmm", "gmm_total_s", "sklearn_total_s", "armadillo_total_s",
            "rows_per_s", "scan_ms", "peak_mb", "target"]
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
    rows = [r for r in results if r["sklearn_over_gmm"] == r["sklearn_over_gmm"]]
    labels = ["%s\n%s" % (r["case"], r["what"].split(" ")[0] if r["case"] == "S1" else "")
              for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.bar(x - 0.2, [r["sklearn_over_gmm"] for r in rows], 0.4, label="scikit-learn time / gmm time")
    ax.bar(x + 0.2, [r["armadillo_over_gmm"] if r["armadillo_over_gmm"] == r["armadillo_over_gmm"] else 0
                     for r in rows], 0.4, label="Armadillo time / gmm time")
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
    ap.add_argument("--cases", default="F1,F2,F3,F4,S1,T1,M1")
    args = ap.parse_args()
    reps = args.reps or (1 if args.quick else 3)
    iters = args.iters or (3 if args.quick else 10)
    if args.quick:
        for c in CASES.values():
            c["n"] //= 10
    wanted = args.cases.split(",")
    os.makedirs(OUT, exist_ok=True)

    db = Db()
    db.run("CREATE EXTENSION IF NOT EXISTS gmm")
    db.run("LOAD 'gmm'")
    threads = db.one("SELECT current_setting('gmm.threads', true)")
    print("gmm benchmark: %d CPUs, load average %s, %d iterations, median of %d runs%s; "
          "gmm.threads = %s, max_parallel_workers_per_gather = %s"
          % (os.cpu_count(), load_average(), iters, reps, ", quick" if args.quick else "",
             threads, db.one("SHOW max_parallel_workers_per_gather")), flush=True)
    arma_exe = build_arma()
    results = []
    model_f2 = None
    blas = None
    for case in ("F1", "F2", "F3", "F4"):
        if case in wanted or (case == "F2" and {"S1", "T1", "M1"} & set(wanted)):
            model, blas = fit_case(db, case, CASES[case], iters, reps, arma_exe, results)
            if case == "F2":
                model_f2 = model
    start_f2 = None
    if {"S1", "T1", "M1"} & set(wanted):
        c = CASES["F2"]
        start_f2 = start_model(db, "f2", c["d"], c["k"], c["cov"], 2)
    if "S1" in wanted:
        scoring_case(db, model_f2, reps, results, args.quick)
    if "T1" in wanted:
        train_case(db, model_f2, iters, reps, results)
    if "M1" in wanted:
        memory_case(iters, start_f2, results)
    print("scikit-learn's BLAS: %s; load average at the end %s" % (blas, load_average()),
          flush=True)
    db.close()
    write_outputs(results)
    print("wrote %s and %s" % (os.path.join(OUT, "results.csv"), os.path.join(OUT, "ratios.png")))


if __name__ == "__main__":
    main()
