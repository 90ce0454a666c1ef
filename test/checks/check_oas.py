#!/usr/bin/python3
"""Oracle Approximating Shrinkage in the M-step against numpy.

For known models (full and tied, d = 1, 3, 6) and known rows (unweighted
and weighted), the E-step statistics are collected in SQL with
gmm_stats_agg and turned into the next model with
gmm_stats_to_model(stats, '{"shrinkage": "oas", "reg_covar": ...}').  The
same M-step is computed here, independently, in numpy: responsibilities
from scipy's multivariate normal densities, the weighted empirical
covariance of each component (tied: their pooled average), then the OAS
formula of Chen et al. (2010) as scikit-learn and gmr write it,
    mu = tr(S) / d,  a = mean(S ** 2),
    r = min((a + mu ** 2) / ((n + 1) (a - mu ** 2 / d)), 1)  (1 if the
        denominator is 0),
    S' = (1 - r) S + r mu I,
with n the component's soft count (tied: the total weight), and finally
reg_covar on the diagonal.  Means, weights and covariances must agree to
1e-10 (relative).  Also checks that shrinkage changes the covariances (the
test is not vacuous), that "shrinkage": "none" is the plain M-step, that
gmm_fit and gmm_train accept the option, and that diag/spherical are
rejected.  Exit status 0 means everything agreed.

Connection from the PG* environment variables.
"""
import json
import sys

import numpy as np
import psycopg2
from scipy.stats import multivariate_normal

RTOL = 1e-10
rng = np.random.default_rng(20261202)
failures = []
checks = 0


def check(name, got, want):
    global checks
    checks += 1
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        failures.append(f"{name}: shape {got.shape} != {want.shape}")
        return
    err = np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300 + np.max(np.abs(want))))
    if not err <= RTOL:
        failures.append(f"{name}: relative error {err:.3g}")


def check_true(name, cond):
    global checks
    checks += 1
    if not cond:
        failures.append(name)


def oas(S, n):
    """The OAS formula, written from the paper / scikit-learn's description."""
    d = S.shape[0]
    mu = np.trace(S) / d
    a = np.mean(S ** 2)
    num = a + mu ** 2
    den = (n + 1.0) * (a - mu ** 2 / d)
    r = 1.0 if den <= 0 else min(num / den, 1.0)
    out = (1.0 - r) * S
    out[np.diag_indices(d)] += r * mu
    return out, r


def mstep(X, w, weights, means, covs, tied, reg, shrink):
    """One M-step from model (weights, means, covs) over rows X, weights w."""
    k = len(weights)
    d = X.shape[1]
    dens = np.column_stack([weights[j] * multivariate_normal(means[j], covs[j]).pdf(X).reshape(-1)
                            for j in range(k)])
    g = dens / dens.sum(axis=1, keepdims=True) * w[:, None]
    nk = g.sum(axis=0)
    new_w = nk / nk.sum()
    new_mu = (g.T @ X) / nk[:, None]
    S = np.empty((k, d, d))
    for j in range(k):
        D = X - new_mu[j]
        S[j] = (g[:, j, None] * D).T @ D / nk[j]
    rs = []
    if tied:
        T = np.tensordot(nk, S, axes=1) / nk.sum()
        if shrink:
            T, r = oas(T, nk.sum())
            rs.append(r)
        T[np.diag_indices(d)] += reg
        return new_w, new_mu, T, rs
    for j in range(k):
        if shrink:
            S[j], r = oas(S[j], nk[j])
            rs.append(r)
        S[j][np.diag_indices(d)] += reg
    return new_w, new_mu, S, rs


def random_spd(d, scale):
    A = rng.normal(size=(d, d))
    return scale * (A @ A.T + 0.1 * np.eye(d))


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")  # the checks may run first in a fresh database
    cur.execute("DROP TABLE IF EXISTS pg_temp.oas_pts")
    cur.execute("CREATE TEMP TABLE oas_pts (i int, x float8[], w float8)")
    for d in (1, 3, 6):
        for tied in (False, True):
            k = 3
            weights = np.array([0.5, 0.3, 0.2])
            means = rng.normal(scale=3.0, size=(k, d))
            if tied:
                T = random_spd(d, 1.5)
                covs = np.array([T] * k)
                cov_json = T.tolist()
            else:
                covs = np.array([random_spd(d, 1.0 + j) for j in range(k)])
                cov_json = covs.tolist()
            ctype = "tied" if tied else "full"
            model = json.dumps({"covariance_type": ctype, "weights": weights.tolist(),
                                "means": means.tolist(), "covariances": cov_json})
            # few rows for the dimension: where shrinkage matters
            n = 4 * d + 6
            lab = rng.integers(0, k, size=n)
            X = np.array([rng.multivariate_normal(means[j], covs[j]) for j in lab])
            wts = rng.integers(1, 4, size=n).astype(float)
            cur.execute("TRUNCATE oas_pts")
            for i in range(n):
                cur.execute("INSERT INTO oas_pts VALUES (%s, %s, %s)", (i, X[i].tolist(), wts[i]))
            for weighted in (False, True):
                w = wts if weighted else np.ones(n)
                agg = "gmm_stats_agg(%s::gmm, x, w)" if weighted else "gmm_stats_agg(%s::gmm, x)"
                for reg, shrink in ((0.0, True), (1e-3, True), (1e-3, False)):
                    opts = json.dumps({"shrinkage": "oas" if shrink else "none", "reg_covar": reg})
                    cur.execute(f"SELECT gmm_weights(m), gmm_means(m), gmm_covariances(m) "
                                f"FROM (SELECT gmm_stats_to_model({agg}, %s::jsonb) m FROM oas_pts) s",
                                (model, opts))
                    gw, gm, gc = cur.fetchone()
                    ww, wm, wc, rs = mstep(X, w, weights, means, covs, tied, reg, shrink)
                    name = f"d={d} {ctype} weighted={weighted} reg={reg} shrink={shrink}"
                    check(name + " weights", gw, ww)
                    check(name + " means", gm, wm)
                    check(name + " covariances", gc, wc)
                    if shrink and d > 1:
                        check_true(name + f": shrinkage is strictly between 0 and 1 somewhere {rs}",
                                   any(0.0 < r < 1.0 for r in rs))
                        _, _, plain, _ = mstep(X, w, weights, means, covs, tied, reg, False)
                        check_true(name + ": shrinkage changes the covariances",
                                   np.max(np.abs(np.asarray(gc) - plain)) > 1e-6)

    # gmm_fit and gmm_train take the option and converge to a valid model
    cur.execute("""SELECT gmm_converged(gmm_fit(x, 2, '{"shrinkage": "oas", "seed": 1}')),
                          gmm_converged(gmm_fit_weighted(x, w, 2, '{"shrinkage": "oas", "covariance_type": "tied"}'))
                   FROM oas_pts""")
    a, b = cur.fetchone()
    check_true("gmm_fit / gmm_fit_weighted with oas give fitted models", a is not None and b is not None)
    cur.execute("""SELECT gmm_n_components(gmm_train('pg_temp.oas_pts', 'x', 2, '{"shrinkage": "oas"}'))""")
    check_true("gmm_train with oas", cur.fetchone()[0] == 2)
    # diag and spherical are rejected with a clear error
    for ctype in ("diag", "spherical"):
        try:
            cur.execute(f"""SELECT gmm_fit(x, 2, '{{"shrinkage": "oas", "covariance_type": "{ctype}"}}') FROM oas_pts""")
            check_true(f"{ctype} with oas must fail", False)
        except psycopg2.Error as e:
            check_true(f"{ctype} with oas: error names the type ({e.pgerror.splitlines()[0]})",
                       e.pgcode == "22023" and ctype in e.pgerror)

    if failures:
        for f in failures:
            print("FAIL:", f)
        print(f"check_oas: {len(failures)} of {checks} checks failed")
        return 1
    print(f"check_oas: {checks} checks passed (OAS M-step agrees with numpy to {RTOL:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
