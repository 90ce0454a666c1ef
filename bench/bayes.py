#!/usr/bin/python3
"""One variational iteration against one EM iteration on F2 (1M x 8, k = 5, full).

Against the cluster in the PG* environment variables:
  gmm_fit per iteration: (t(N + 1 iterations) - t(1)) / N, tol 0, from the same
      given start, without and with option "prior" (Dirichlet process);
  the step aggregates: one SELECT gmm_em_step(m, x) vs one gmm_vb_step(m, x);
  scikit-learn 1.2 on the same rows (exported bit for bit): GaussianMixture and
      BayesianGaussianMixture per iteration, measured the same way.
Medians over --reps repetitions; the target is VB / EM <= 1.3.

    /usr/bin/python3 bench/bayes.py [--iters 5] [--reps 3] [--no-sklearn]
"""
import argparse
import io
import json
import statistics
import time
import warnings

import numpy as np
import psycopg2

N, D, K = 1_000_000, 8, 5
TABLE = "bench_bayes_f2"

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("--iters", type=int, default=5)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--no-sklearn", action="store_true")
args = ap.parse_args()

conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
cur.execute("SET max_parallel_workers_per_gather = 0")


def timed(sql, params=None):
    t0 = time.perf_counter()
    cur.execute(sql, params)
    rows = cur.fetchall()
    return time.perf_counter() - t0, rows


def generate():
    """F2 as bench/bench.py makes it: k clusters about 4 apart, spreads 0.5 to 1.5."""
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,))
    if cur.fetchone()[0]:
        cur.execute("SELECT count(*) FROM " + TABLE)
        if cur.fetchone()[0] == N:
            return
    cur.execute("DROP TABLE IF EXISTS %s, %s_truth" % (TABLE, TABLE))
    cur.execute("SELECT setseed(0.2)")
    cur.execute("""CREATE TABLE %s_truth AS
        SELECT c, array_agg(%g * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) ORDER BY j) AS mu,
               array_agg(0.5 + random() ORDER BY j) AS sd
        FROM generate_series(0, %d) c, generate_series(1, %d) j GROUP BY c"""
                % (TABLE, 2.0 * (2.0 / D) ** 0.5, K - 1, D))
    cur.execute("""CREATE TABLE %s AS
        SELECT r.i AS id, ARRAY(SELECT t.mu[j] + t.sd[j] * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
                                FROM generate_series(1, %d) j) AS x
        FROM (SELECT i, floor(random() * %d)::int AS c FROM generate_series(1, %d) i) r
        JOIN %s_truth t USING (c) ORDER BY r.i""" % (TABLE, D, K, N, TABLE))
    cur.execute("VACUUM (FREEZE, ANALYZE) " + TABLE)


def export():
    cols = ", ".join("x[%d]" % (i + 1) for i in range(D))
    buf = io.BytesIO()
    cur.copy_expert("COPY (SELECT %s FROM %s ORDER BY id) TO STDOUT (FORMAT binary)" % (cols, TABLE), buf)
    raw = buf.getvalue()
    fields = [("nf", ">i2")]
    for i in range(D):
        fields += [("l%d" % i, ">i4"), ("v%d" % i, ">f8")]
    rec = np.frombuffer(raw[19:len(raw) - 2], dtype=np.dtype(fields))
    return np.ascontiguousarray(np.stack([rec["v%d" % i] for i in range(D)], axis=1).astype("<f8"))


def per_iter(fn):
    """median over reps of (t(iters + 1) - t(1)) / iters"""
    diffs = []
    for _ in range(args.reps):
        a = fn(1)
        b = fn(args.iters + 1)
        diffs.append((b - a) / args.iters)
    return statistics.median(diffs)


generate()
cur.execute("SELECT mu FROM %s_truth ORDER BY c" % TABLE)
mu = np.array([r[0] for r in cur.fetchall()])
means = mu + np.random.default_rng(1).normal(0.0, 0.5 * (2.0 / D) ** 0.5, size=mu.shape)
start = {"covariance_type": "full", "tol": 0, "init": "given", "weights": [1.0 / K] * K,
         "means": means.tolist(), "covariances": [np.eye(D).tolist()] * K, "reg_covar": 1e-6}


def gmm_fit(prior):
    def run(iters):
        opts = dict(start, max_iter=iters)
        if prior:
            opts["prior"] = {"type": "dirichlet_process"}
        t, rows = timed("SELECT gmm_n_iter(m) FROM (SELECT gmm_fit(x, %s, %s::jsonb) m FROM " + TABLE + ") s",
                        (K, json.dumps(opts)))
        assert rows[0][0] == iters, rows
        return t
    return run


em_fit = per_iter(gmm_fit(False))
vb_fit = per_iter(gmm_fit(True))

# the step aggregates from fitted models
cur.execute("SELECT gmm_fit(x, %s, %s::jsonb)::text FROM " + TABLE, (K, json.dumps(dict(start, max_iter=2))))
em_m = cur.fetchone()[0]
cur.execute("SELECT gmm_fit(x, %s, %s::jsonb)::text FROM " + TABLE,
            (K, json.dumps(dict(start, max_iter=2, prior={}))))
vb_m = cur.fetchone()[0]
em_step = statistics.median(timed("SELECT gmm_em_step(%s::gmm, x) IS NULL FROM " + TABLE, (em_m,))[0]
                            for _ in range(args.reps))
vb_step = statistics.median(timed("SELECT gmm_vb_step(%s::gmm, x) IS NULL FROM " + TABLE, (vb_m,))[0]
                            for _ in range(args.reps))

print("F2: %d x %d, k = %d, full; medians of %d reps, %d iterations" % (N, D, K, args.reps, args.iters))
print("  gmm_fit per iteration:   EM %7.1f ms   variational %7.1f ms   ratio %.2fx"
      % (em_fit * 1e3, vb_fit * 1e3, vb_fit / em_fit))
print("  one step aggregate:      gmm_em_step %7.1f ms   gmm_vb_step %7.1f ms   ratio %.2fx"
      % (em_step * 1e3, vb_step * 1e3, vb_step / em_step))

if not args.no_sklearn:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
    warnings.simplefilter("ignore", ConvergenceWarning)
    X = export()

    def sk(cls, **kw):
        def run(iters):
            m = cls(n_components=K, covariance_type="full", tol=0, max_iter=iters, reg_covar=1e-6,
                    random_state=0, **kw)
            t0 = time.perf_counter()
            m.fit(X)
            assert m.n_iter_ == iters
            return time.perf_counter() - t0
        return run

    sk_em = per_iter(sk(GaussianMixture, means_init=means, weights_init=np.full(K, 1.0 / K)))
    sk_vb = per_iter(sk(BayesianGaussianMixture, init_params="random_from_data",
                        weight_concentration_prior_type="dirichlet_process"))
    print("  scikit-learn 1.2:        GaussianMixture %7.1f ms   BayesianGaussianMixture %7.1f ms   ratio %.2fx"
          % (sk_em * 1e3, sk_vb * 1e3, sk_vb / sk_em))
    print("  gmm vs scikit-learn:     EM %.1fx faster, variational %.1fx faster"
          % (sk_em / em_fit, sk_vb / vb_fit))
