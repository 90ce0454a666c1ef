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
3. Scoring: gmm_logpdf_observed and gmm_predict_proba_observed equal the
   reference's observed-data log-density and responsibilities (1e-12), and
   gmm_logpdf on complete rows.

Connection from the PG* environment variables; exit 0 = pass.
"""
import json
import os
import sys
import time

import numpy as np

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
    rows = pg_rows(Y)
    args = [(i, rows[i], None if w is None else float(w[i])) for i in range(len(rows))]
    cur.executemany("INSERT INTO miss_data VALUES (%s, %s::float8[], %s)", args)


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
        n = 240 if d < 16 else 300
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


def main():
    t0 = time.time()
    conn = gmmtest.connect()
    cur = conn.cursor()
    rng = np.random.default_rng(20261202)
    agreement(cur, rng)
    recovery(cur)
    scoring(cur, rng)
    print(f"check_missing: {time.time() - t0:.1f} s")
    if failures:
        print(f"check_missing: {len(failures)} failure(s)")
        sys.exit(1)
    print("check_missing: OK")


if __name__ == "__main__":
    main()
