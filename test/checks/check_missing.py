#!/usr/bin/python3
"""EM on incomplete rows ("missing": "marginalize") against an independent
numpy reference (test/checks/missing_ref.py), and its statistical benefit.

1. Agreement: from the same start (options "init": "given" with weights,
   means and covariances), gmm_fit's parameters and observed-data
   log-likelihood agree with the reference to 1e-9 relative after 1, 5 and
   30 iterations, for every covariance type, d in {2, 5, 16}, k in {1, 3},
   with 0%, 10% and 40% of the values missing completely at random (half as
   NaN, half as NULL), plus weighted fits (gmm_fit_weighted).
2. Recovery: on data from a known mixture with 30% of the values missing at
   random, the marginalised fit recovers the true means and weights with a
   smaller error than a fit of the complete rows only (both printed).
3. gmm_em_step (m, x, weight, options) and gmm_train with the option agree
   with the reference (one step, and gmm_fit's result), every covariance type.
4. Parallel: the statistics of incomplete rows from a forced parallel plan
   (Partial Aggregate, combine function) equal the serial ones (1e-12).
5. Scoring: gmm_logpdf_observed and gmm_predict_proba_observed equal the
   reference's observed-data log-density and responsibilities (1e-12), and
   gmm_logpdf on complete rows.

Connection from the PG* environment variables; exit 0 = pass.
"""
import io
import json
import os
import sys
import time

# tiny solves: threads only add overhead (and contend on a shared machine)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmmtest  # noqa: E402
import missing_ref as ref  # noqa: E402

COV_TYPES = ["full", "diag", "spherical", "tied"]
RTOL = 1e-9
REG = 1e-6
ITERS = [1, 5, 30]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def mixture(rng, n, d, k, sep=4.0):
    means = rng.normal(size=(k, d)) * sep + 10.0
    w = rng.dirichlet(np.full(k, 4.0))
    z = rng.choice(k, size=n, p=w)
    covs = []
    for j in range(k):
        a = rng.normal(size=(d, d)) * 0.5
        covs.append(a @ a.T + np.diag(rng.uniform(0.5, 1.5, size=d)))
    X = np.array([rng.multivariate_normal(means[j], covs[j]) for j in z])
    return X, w, means, np.array(covs)


def mcar(rng, X, rate):
    Y = X.copy()
    Y[rng.random(X.shape) < rate] = np.nan
    return Y


def pg_rows(Y):
    """Rows as lists: missing values alternately NaN and NULL."""
    out = []
    for i, row in enumerate(Y):
        out.append([None if (np.isnan(v) and (i + t) % 2) else float(v) for t, v in enumerate(row)])
    return out


def load(cur, Y, w=None):
    cur.execute("DROP TABLE IF EXISTS miss_data")
    cur.execute("CREATE TEMP TABLE miss_data (id int, x float8[], w float8)")
    lines = []
    for i, row in enumerate(pg_rows(Y)):
        x = "{" + ",".join("NULL" if v is None else repr(v) for v in row) + "}"
        wt = "\\N" if w is None else repr(float(w[i]))
        lines.append(f"{i}\t{x}\t{wt}")
    cur.copy_expert("COPY miss_data FROM STDIN", io.StringIO("\n".join(lines) + "\n"))


def start_model(rng, X, cov_type, k, d):
    comp = X[~np.isnan(X).any(axis=1)]
    if len(comp) < k:
        comp = np.nan_to_num(X, nan=np.nanmean(X))
    means = comp[rng.choice(len(comp), size=k, replace=False)] + rng.normal(size=(k, d)) * 0.1
    weights = rng.dirichlet(np.full(k, 5.0))
    v = np.nanvar(X, axis=0)
    base = np.diag(v) * 0.8 + 0.2 * np.nanmean(v) * np.eye(d)
    if cov_type == "full":
        covs = np.array([base * rng.uniform(0.5, 1.5) for _ in range(k)])
    elif cov_type == "diag":
        covs = np.array([v * rng.uniform(0.5, 1.5) for _ in range(k)])
    elif cov_type == "spherical":
        covs = np.array([np.mean(v) * rng.uniform(0.5, 1.5) for _ in range(k)])
    else:
        covs = base
    return weights, means, covs


def gmm_parts(cur, m):
    cur.execute("SELECT gmm_weights(%s::gmm), gmm_means(%s::gmm), gmm_covariances(%s::gmm),"
                " gmm_log_likelihood(%s::gmm), gmm_n_rows_used(%s::gmm), gmm_n_rows_skipped(%s::gmm),"
                " gmm_n_values_missing(%s::gmm)", (m,) * 7)
    return cur.fetchone()


def relerr(a, b):
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def agreement(cur, rng):
    worst = 0.0
    nfits = 0
    cases = [(ct, d, k, rate, False) for ct in COV_TYPES for d in (2, 5, 16)
             for k in (1, 3) for rate in (0.0, 0.1, 0.4)]
    cases += [(ct, 5, 3, 0.1, True) for ct in COV_TYPES]
    for ct, d, k, rate, weighted in cases:
        n = 200
        X, *_ = mixture(rng, n, d, 3)
        Y = mcar(rng, X, rate)
        w = rng.integers(1, 4, size=n).astype(float) if weighted else np.ones(n)
        load(cur, Y, w if weighted else None)
        weights, means, covs = start_model(rng, Y, ct, k, d)
        want = ref.em(Y, w, ct, weights, means, covs, REG, set(ITERS))
        for it in ITERS:
            opts = {"missing": "marginalize", "covariance_type": ct, "init": "given",
                    "means": means.tolist(), "weights": weights.tolist(),
                    "covariances": covs.tolist(), "max_iter": it, "tol": 0, "reg_covar": REG}
            if weighted:
                cur.execute("SELECT gmm_fit_weighted(x, w, %s, %s)::text FROM miss_data",
                            (k, json.dumps(opts)))
            else:
                cur.execute("SELECT gmm_fit(x, %s, %s)::text FROM miss_data", (k, json.dumps(opts)))
            m = cur.fetchone()[0]
            gw, gm, gc, gll, used, skipped, nmiss = gmm_parts(cur, m)
            rw, rm, rc, rll = want[it]
            errs = [relerr(gw, rw), relerr(gm, rm), relerr(gc, rc), abs(gll - rll) / abs(rll)]
            e = max(errs)
            worst = max(worst, e)
            nfits += 1
            allmiss = int(np.all(np.isnan(Y), axis=1).sum())
            check(e <= RTOL, f"agreement {ct} d={d} k={k} missing={rate} weighted={weighted} "
                  f"iter={it}: relative errors w/mu/cov/ll {errs}")
            check(used == n - allmiss and skipped == allmiss and
                  nmiss == int(np.isnan(Y).sum()) - allmiss * d,
                  f"counts {ct} d={d} k={k} missing={rate}: used {used} skipped {skipped} "
                  f"missing {nmiss}")
    print(f"agreement: {nfits} fits (every covariance type, d 2/5/16, k 1/3, 0/10/40% "
          f"missing, 1/5/30 iterations, weighted too): worst relative error {worst:.2e} "
          f"(required {RTOL:g})")


def match_error(est_w, est_m, true_w, true_m):
    """Errors of the means (mean Euclidean distance) and weights (max abs)
    after matching components to the truth (best permutation)."""
    from itertools import permutations
    best = None
    for p in permutations(range(len(true_w))):
        em_ = np.mean(np.linalg.norm(est_m[list(p)] - true_m, axis=1))
        ew = np.max(np.abs(est_w[list(p)] - true_w))
        if best is None or em_ < best[0]:
            best = (em_, ew)
    return best


def recovery(cur):
    rng = np.random.default_rng(7)
    d, k, n = 4, 3, 3000
    true_m = np.array([[0, 0, 0, 0], [4, 4, 0, 0], [0, 4, 4, 4]], float)
    true_w = np.array([0.5, 0.3, 0.2])
    z = rng.choice(k, size=n, p=true_w)
    X = true_m[z] + rng.normal(size=(n, d)) * 0.8
    Y = mcar(rng, X, 0.3)
    load(cur, Y)
    opts = {"missing": "marginalize", "seed": 1, "n_init": 3}
    cur.execute("SELECT gmm_weights(m), gmm_means(m), gmm_n_rows_used(m) FROM "
                "(SELECT gmm_fit(x, 3, %s) m FROM miss_data) s", (json.dumps(opts),))
    mw, mm, used = cur.fetchone()
    cur.execute("SELECT gmm_weights(m), gmm_means(m), gmm_n_rows(m) FROM "
                "(SELECT gmm_fit(x, 3, '{\"seed\": 1, \"n_init\": 3}') m FROM miss_data "
                " WHERE NOT (x && ARRAY[NULL, 'NaN']::float8[]) AND array_position(x, NULL) IS NULL) s")
    cw, cm, ncomp = cur.fetchone()
    em_marg, ew_marg = match_error(np.array(mw), np.array(mm), true_w, true_m)
    em_comp, ew_comp = match_error(np.array(cw), np.array(cm), true_w, true_m)
    print(f"recovery (n={n}, d={d}, k={k}, 30% MCAR): marginalised fit on {used} rows: "
          f"mean error {em_marg:.4f}, weight error {ew_marg:.4f}; complete rows only "
          f"({int(ncomp)} rows): mean error {em_comp:.4f}, weight error {ew_comp:.4f}")
    check(em_marg < em_comp, "marginalised fit recovers the means better than complete rows only")
    check(ew_marg < ew_comp, "marginalised fit recovers the weights better than complete rows only")


def scoring(cur, rng):
    worst = 0.0
    for ct in COV_TYPES:
        d, k = 5, 3
        X, *_ = mixture(rng, 200, d, 3)
        Y = mcar(rng, X, 0.3)
        load(cur, Y)
        cur.execute("SELECT gmm_fit(x, 3, %s)::text FROM miss_data",
                    (json.dumps({"missing": "marginalize", "covariance_type": ct}),))
        m = cur.fetchone()[0]
        cur.execute("SELECT gmm_weights(%s::gmm), gmm_means(%s::gmm), gmm_covariances(%s::gmm)",
                    (m, m, m))
        w, mu, cv = cur.fetchone()
        S = ref.full_covs(ct, cv, k, d)
        cur.execute("SELECT gmm_logpdf_observed(%s::gmm, x), gmm_predict_proba_observed(%s::gmm, x),"
                    " gmm_predict_observed(%s::gmm, x), CASE WHEN array_position(x, NULL) IS NULL"
                    " AND NOT x && ARRAY['NaN'::float8] THEN gmm_logpdf(%s::gmm, x) END"
                    " FROM miss_data ORDER BY id", (m, m, m, m))
        got = cur.fetchall()
        keep = ~np.all(np.isnan(Y), axis=1)
        g, ll, _, _ = ref.estep(Y[keep], np.ones(keep.sum()), np.array(w), np.array(mu), S)
        gi = 0
        for i, (lpo, proba, pred, lpc) in enumerate(got):
            if not keep[i]:
                check(lpo is None and proba is None and pred is None,
                      "an all-missing point scores NULL")
                continue
            worst = max(worst, abs(lpo - ll[gi]) / abs(ll[gi]), np.max(np.abs(np.array(proba) - g[gi])))
            check(pred == int(np.argmax(g[gi])) + 1 or np.max(g[gi]) - np.sort(g[gi])[-2] < 1e-9,
                  f"gmm_predict_observed row {i}")
            if lpc is not None:
                check(lpc == lpo, f"gmm_logpdf_observed equals gmm_logpdf on complete row {i}")
            gi += 1
    print(f"scoring: gmm_logpdf_observed / gmm_predict_proba_observed vs reference: worst {worst:.2e}")
    check(worst < 1e-12, "observed-data scoring agrees to 1e-12")


def em_step_and_train(cur, rng):
    worst = 0.0
    for ct in COV_TYPES:
        d, k, n = 5, 3, 300
        X, *_ = mixture(rng, n, d, 3)
        Y = mcar(rng, X, 0.25)
        w = rng.integers(1, 4, size=n).astype(float)
        load(cur, Y, w)
        weights, means, covs = start_model(rng, Y, ct, k, d)
        want = ref.em(Y, w, ct, weights, means, covs, REG, {1})[1]
        start = {"covariance_type": ct, "weights": weights.tolist(), "means": means.tolist(),
                 "covariances": covs.tolist()}
        cur.execute("SELECT gmm_em_step(%s::jsonb::gmm, x, w, '{\"missing\": \"marginalize\"}')::text"
                    " FROM miss_data", (json.dumps(start),))
        gw, gm, gc, _, _, _, _ = gmm_parts(cur, cur.fetchone()[0])
        errs = [relerr(gw, want[0]), relerr(gm, want[1]), relerr(gc, want[2])]
        worst = max(worst, max(errs))
        check(max(errs) <= RTOL, f"gmm_em_step {ct}: relative errors {errs}")
        opts = {"missing": "marginalize", "covariance_type": ct, "seed": 5, "max_iter": 20}
        cur.execute("SELECT gmm_fit_weighted(x, w, 3, %s)::text, gmm_train('miss_data', 'x', 3,"
                    " %s::jsonb || '{\"weight_column\": \"w\"}')::text FROM miss_data",
                    (json.dumps(opts), json.dumps(opts)))
        mf, mt = cur.fetchone()
        pf, pt = gmm_parts(cur, mf), gmm_parts(cur, mt)
        e = max(relerr(pt[0], pf[0]), relerr(pt[1], pf[1]), relerr(pt[2], pf[2]))
        worst = max(worst, e)
        check(e <= RTOL and pf[4:] == pt[4:], f"gmm_train equals gmm_fit_weighted {ct}: {e} {pf[4:]} {pt[4:]}")
    print(f"gmm_em_step vs reference and gmm_train vs gmm_fit: worst relative error {worst:.2e}")


def parallel(cur, rng):
    d, n = 3, 30000
    X, *_ = mixture(rng, n, d, 2)
    Y = mcar(rng, X, 0.2)
    cur.execute("DROP TABLE IF EXISTS miss_par")
    cur.execute("CREATE TABLE miss_par (x float8[])")
    buf = "\n".join("{" + ",".join("NULL" if np.isnan(v) else repr(float(v)) for v in r) + "}" for r in Y)
    cur.copy_expert("COPY miss_par FROM STDIN", io.StringIO(buf + "\n"))
    cur.execute("ANALYZE miss_par")
    cur.execute("SELECT gmm_fit(x, 2, '{\"missing\": \"marginalize\", \"max_iter\": 2}')::text FROM miss_par")
    m = cur.fetchone()[0]
    q = ("SELECT gmm_stats_agg(%s::gmm, x, 1, '{\"missing\": \"marginalize\"}')::jsonb FROM miss_par")
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute(q, (m,))
    serial = cur.fetchone()[0]
    for sset in ["parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0",
                 "max_parallel_workers_per_gather = 2", "parallel_leader_participation = off"]:
        cur.execute("SET " + sset)
    cur.execute("EXPLAIN " + q, (m,))
    plan = "\n".join(r[0] for r in cur.fetchall())
    check("Partial Aggregate" in plan, "a parallel plan for gmm_stats_agg with options")
    cur.execute(q, (m,))
    par = cur.fetchone()[0]
    for key in ["RESET parallel_setup_cost", "RESET parallel_tuple_cost", "RESET min_parallel_table_scan_size",
                "RESET max_parallel_workers_per_gather", "RESET parallel_leader_participation"]:
        cur.execute(key)
    worst = 0.0
    for key in ["nk", "s1", "s2"]:
        worst = max(worst, relerr(par[key], serial[key]))
    worst = max(worst, abs(par["sum_log_likelihood"] - serial["sum_log_likelihood"]) / abs(serial["sum_log_likelihood"]))
    check(par["n_rows"] == serial["n_rows"] and par["sum_weights"] == serial["sum_weights"],
          "parallel and serial statistics count the same rows")
    check(worst <= 1e-12, f"parallel statistics equal serial ones: {worst}")
    print(f"parallel: statistics of {serial['n_rows']} incomplete rows, parallel vs serial: "
          f"worst relative difference {worst:.2e}")
    cur.execute("DROP TABLE miss_par")


def main():
    t0 = time.time()
    conn = gmmtest.connect()
    cur = conn.cursor()
    rng = np.random.default_rng(20261202)
    for part in (agreement, recovery, em_step_and_train, parallel, scoring):
        t1 = time.time()
        part(cur, rng) if part is not recovery else part(cur)
        print(f"  ({part.__name__}: {time.time() - t1:.1f} s)")
    print(f"check_missing: {time.time() - t0:.1f} s")
    if failures:
        print(f"check_missing: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_missing: OK")


if __name__ == "__main__":
    main()
