#!/usr/bin/python3
"""Cross-check of gmm's inference functions against textbook formulas.

Random models of every covariance type (d up to 16) are built with gmm(...)
and every inference function is compared with an independent numpy/scipy
implementation: marginals, conditional weights/means/covariances,
regression, imputation, components, collapse, ellipse axes and angles,
confidence regions, divergences, and the chi-square quantile against
scipy.stats.chi2.ppf.  Also checks that gmm_regress factorises the model
once per query, not once per row.  Exit status 0 means everything agreed.

Connection from the PG* environment variables.
"""
import math
import sys
import time

import numpy as np
import psycopg2
from scipy.stats import chi2, multivariate_normal

RTOL = 1e-9
rng = np.random.default_rng(20240605)
failures = []
checks = 0


def check(name, got, want, rtol=RTOL, scale=None):
    """got ~ want elementwise within rtol relative to |want| or to scale."""
    global checks
    checks += 1
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        failures.append(f"{name}: shape {got.shape} != {want.shape}")
        return
    if scale is None:
        tol = rtol * np.abs(want)
    else:
        tol = rtol * np.maximum(np.abs(want), scale)
    err = np.abs(got - want)
    if not np.all(err <= tol + 1e-300):
        i = np.unravel_index(np.argmax(err - tol), err.shape)
        failures.append(f"{name}: at {i} got {got[i]!r}, want {want[i]!r}")


def check_true(name, cond):
    global checks
    checks += 1
    if not cond:
        failures.append(name)


# ---------------------------------------------------------------------------
# random models and the textbook formulas
# ---------------------------------------------------------------------------

TYPES = ["full", "diag", "spherical", "tied"]


def random_spd(d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + rng.uniform(0.3, 1.0) * np.eye(d)


def random_model(k, d, ctype):
    w = rng.dirichlet(np.ones(k))
    means = rng.normal(0.0, 2.0, size=(k, d))
    if ctype == "full":
        covs = np.array([random_spd(d) for _ in range(k)])
    elif ctype == "diag":
        covs = rng.uniform(0.3, 3.0, size=(k, d))
    elif ctype == "spherical":
        covs = rng.uniform(0.3, 3.0, size=k)
    else:
        covs = random_spd(d)
    return w, means, covs


def full_covs(ctype, covs, k, d):
    if ctype == "full":
        return np.array(covs)
    if ctype == "diag":
        return np.array([np.diag(c) for c in covs])
    if ctype == "spherical":
        return np.array([c * np.eye(d) for c in covs])
    return np.array([covs] * k)


def conditional(w, mu, S, a_idx, a):
    """Textbook conditional: weights, means and covariances of x_B | x_A = a."""
    d = mu.shape[1]
    b_idx = [i for i in range(d) if i not in a_idx]
    logw = []
    cm, cc = [], []
    for j in range(len(w)):
        saa = S[j][np.ix_(a_idx, a_idx)]
        sab = S[j][np.ix_(a_idx, b_idx)]
        sbb = S[j][np.ix_(b_idx, b_idx)]
        logw.append(np.log(w[j]) + multivariate_normal.logpdf(a, mu[j][a_idx], saa))
        gain = np.linalg.solve(saa, sab)
        cm.append(mu[j][b_idx] + gain.T @ (a - mu[j][a_idx]))
        cc.append(sbb - sab.T @ gain)
    logw = np.array(logw)
    post = np.exp(logw - logw.max())
    post /= post.sum()
    return post, np.array(cm), np.array(cc), b_idx


def sym_kl(m0, s0, m1, s1):
    d = len(m0)
    i0, i1 = np.linalg.inv(s0), np.linalg.inv(s1)
    dm = m1 - m0
    kl01 = 0.5 * (np.trace(i1 @ s0) + dm @ i1 @ dm - d
                  + np.linalg.slogdet(s1)[1] - np.linalg.slogdet(s0)[1])
    kl10 = 0.5 * (np.trace(i0 @ s1) + dm @ i0 @ dm - d
                  + np.linalg.slogdet(s0)[1] - np.linalg.slogdet(s1)[1])
    return kl01 + kl10


def bhattacharyya(m0, s0, m1, s1):
    s = 0.5 * (s0 + s1)
    dm = m1 - m0
    return (dm @ np.linalg.solve(s, dm) / 8.0
            + 0.5 * (np.linalg.slogdet(s)[1]
                     - 0.5 * (np.linalg.slogdet(s0)[1] + np.linalg.slogdet(s1)[1])))


# ---------------------------------------------------------------------------
# the checks, per model
# ---------------------------------------------------------------------------

def q1(cur, sql, args=()):
    cur.execute(sql, args)
    return cur.fetchone()


def model_params(cur, expr, args=()):
    """weights, means, full covariances and type of a gmm expression."""
    return q1(cur, f"""SELECT gmm_weights(r), gmm_means(r), gmm_full_covariances(r),
                              gmm_covariance_type(r)
                       FROM (SELECT {expr} AS r) s""", args)


def check_model(cur, k, d, ctype):
    w, mu, covs = random_model(k, d, ctype)
    S = full_covs(ctype, covs, k, d)
    tag = f"{ctype} k={k} d={d}"
    cur.execute("TRUNCATE m")
    cur.execute("INSERT INTO m VALUES (gmm(%s, %s, %s, %s))",
                (w.tolist(), mu.tolist(), np.asarray(covs).tolist(), ctype))
    mscale = np.abs(mu).max()

    # marginal on a random subset in random order
    n = rng.integers(1, d + 1)
    dims = list(rng.permutation(d)[:n])
    rw, rm, rc, rt = model_params(cur, "gmm_marginal((SELECT m FROM m), %s)",
                                  ([int(i) + 1 for i in dims],))
    check(f"{tag} marginal weights", rw, w)
    check(f"{tag} marginal means", rm, mu[:, dims], scale=mscale)
    check(f"{tag} marginal covariances", rc, S[:, dims][:, :, dims],
          scale=np.abs(S).max())
    check_true(f"{tag} marginal type {rt}", rt == ctype)

    if d > 1:
        # condition and regress on a random proper subset, at a point near a component
        na = rng.integers(1, d)
        a_idx = sorted(rng.permutation(d)[:na].tolist(), key=lambda _: rng.random())
        j0 = rng.integers(k)
        x = rng.multivariate_normal(mu[j0], S[j0])
        a = x[a_idx]
        post, cm, cc, b_idx = conditional(w, mu, S, a_idx, a)
        sql_dims = [i + 1 for i in a_idx]
        rw, rm, rc, rt = model_params(cur, "gmm_condition((SELECT m FROM m), %s, %s)",
                                      (sql_dims, a.tolist()))
        check(f"{tag} condition weights", rw, post)
        check(f"{tag} condition means", rm, cm, scale=np.abs(cm).max())
        check(f"{tag} condition covariances", rc, cc, scale=np.abs(cc).max())
        check_true(f"{tag} condition type {rt}", rt == ctype)
        reg = q1(cur, "SELECT gmm_regress(m, %s, %s) FROM m", (sql_dims, a.tolist()))[0]
        want = post @ cm
        check(f"{tag} regress", reg, want, scale=np.abs(cm).max())

        # conditioning far away: weights must stay finite and sum to 1
        far = (a + 1e3 * np.sign(rng.normal(size=na))).tolist()
        rw = q1(cur, "SELECT gmm_weights(gmm_condition(m, %s, %s)) FROM m",
                (sql_dims, far))[0]
        check_true(f"{tag} far condition weights finite", np.all(np.isfinite(rw)))
        check(f"{tag} far condition weights sum", sum(rw), 1.0, rtol=1e-12)
        post_far, _, _, _ = conditional(w, mu, S, a_idx, np.array(far))
        check(f"{tag} far condition weights", rw, post_far, scale=1e-12)

    # impute: random pattern with NaN and NULL, nothing missing, all missing
    x = rng.multivariate_normal(mu[rng.integers(k)], S[0])
    miss = rng.random(d) < 0.4
    if d > 1 and miss.all():
        miss[0] = False
    arr = [None if (m_ and rng.random() < 0.5) else (float("nan") if m_ else float(v))
           for v, m_ in zip(x, miss)]
    got = q1(cur, "SELECT gmm_impute(m, %s::float8[]) FROM m", (arr,))[0]
    want = x.copy()
    if miss.any():
        obs = [i for i in range(d) if not miss[i]]
        if obs:
            post, cm, _, b_idx = conditional(w, mu, S, obs, x[obs])
            want[b_idx] = post @ cm
        else:
            want = w @ mu
    check(f"{tag} impute", got, want, scale=mscale)
    got = q1(cur, "SELECT gmm_impute(m, %s::float8[]) FROM m", (x.tolist(),))[0]
    check_true(f"{tag} impute nothing missing", list(got) == x.tolist())
    got = q1(cur, "SELECT gmm_impute(m, array_fill(NULL::float8, ARRAY[%s])) FROM m", (d,))[0]
    check(f"{tag} impute all missing", got, w @ mu, scale=mscale)

    # component and collapse
    i = int(rng.integers(k))
    rw, rm, rc, rt = model_params(cur, "gmm_component((SELECT m FROM m), %s)", (i + 1,))
    check(f"{tag} component", rm[0] + [x for row in rc[0] for x in row],
          np.concatenate([mu[i], S[i].ravel()]))
    check_true(f"{tag} component type/weight", rt == ctype and rw == [1.0])
    mean = w @ mu
    cov = sum(w[j] * (S[j] + np.outer(mu[j] - mean, mu[j] - mean)) for j in range(k))
    rw, rm, rc, rt = model_params(cur, "gmm_collapse((SELECT m FROM m))")
    check(f"{tag} collapse mean", rm[0], mean, scale=mscale)
    check(f"{tag} collapse covariance", rc[0], cov, scale=np.abs(cov).max())
    check_true(f"{tag} collapse type", rt == "full")

    # ellipses of a random pair of dimensions
    if d >= 2:
        pair = [int(v) for v in rng.permutation(d)[:2]]
        nstd = float(rng.uniform(0.5, 3.0))
        cur.execute("SELECT component, center, angle, semi_axes FROM gmm_ellipses("
                    "(SELECT m FROM m), %s, %s) ORDER BY component",
                    (nstd, [p + 1 for p in pair]))
        rows = cur.fetchall()
        check_true(f"{tag} ellipse rows", len(rows) == k)
        for j, (comp, center, angle, axes) in enumerate(rows):
            sub = S[j][np.ix_(pair, pair)]
            ev, evec = np.linalg.eigh(sub)
            check(f"{tag} ellipse {comp} center", center, mu[j][pair], scale=mscale)
            check(f"{tag} ellipse {comp} axes", axes, nstd * np.sqrt(ev[::-1]))
            if ev[1] - ev[0] > 1e-6 * ev[1]:
                want = math.atan2(evec[1, 1], evec[0, 1])
                diff = (angle - want) % math.pi
                check(f"{tag} ellipse {comp} angle", min(diff, math.pi - diff), 0.0,
                      scale=1.0)
            check_true(f"{tag} ellipse {comp} angle range", -math.pi / 2 < angle <= math.pi / 2)
        # polygon points lie on the ellipse: (p - c)' S^-1 (p - c) = nstd^2
        cur.execute("SELECT component, x, y FROM gmm_ellipse_points("
                    "(SELECT m FROM m), %s, 12, %s)", (nstd, [p + 1 for p in pair]))
        pts = cur.fetchall()
        check_true(f"{tag} ellipse points count", len(pts) == 13 * k)
        for comp, px, py in pts:
            sub = S[comp - 1][np.ix_(pair, pair)]
            v = np.array([px, py]) - mu[comp - 1][pair]
            check(f"{tag} ellipse point {comp}", v @ np.linalg.solve(sub, v), nstd ** 2,
                  rtol=1e-9)

    # confidence region: smallest Mahalanobis distance vs chi2.ppf
    alpha = float(rng.uniform(0.05, 0.99))
    q = chi2.ppf(alpha, d)
    for _ in range(4):
        x = rng.multivariate_normal(mu[rng.integers(k)], 2.0 * S[0])
        m2 = min((x - mu[j]) @ np.linalg.solve(S[j], x - mu[j]) for j in range(k))
        if abs(m2 - q) < 1e-6 * q:
            continue
        got = q1(cur, "SELECT gmm_in_confidence_region(m, %s, %s) FROM m",
                 (x.tolist(), alpha))[0]
        check_true(f"{tag} region at alpha={alpha}: got {got}, d2={m2}, q={q}", got == (m2 <= q))

    # divergences between components, and between two single-component models
    for method, fn in (("kl", sym_kl), ("bhattacharyya", bhattacharyya)):
        got = np.array(q1(cur, "SELECT gmm_divergence(m, %s) FROM m", (method,))[0])
        want = np.array([[0.0 if a_ == b_ else fn(mu[a_], S[a_], mu[b_], S[b_])
                          for b_ in range(k)] for a_ in range(k)])
        check(f"{tag} divergence {method}", got, want, scale=1e-12)
        if k >= 2:
            got = q1(cur, "SELECT gmm_divergence(gmm_component(m, 1), gmm_component(m, 2), %s)"
                     " FROM m", (method,))[0]
            check(f"{tag} pair divergence {method}", got, want[0, 1])


def check_mixed_pair(cur):
    """gmm_divergence between single-component models of different types."""
    for ta in TYPES:
        for tb in TYPES:
            d = 5
            wa, ma, ca = random_model(1, d, ta)
            wb, mb, cb = random_model(1, d, tb)
            sa = full_covs(ta, ca, 1, d)[0]
            sb = full_covs(tb, cb, 1, d)[0]
            for method, fn in (("kl", sym_kl), ("bhattacharyya", bhattacharyya)):
                got = q1(cur, "SELECT gmm_divergence(gmm(%s, %s, %s, %s), gmm(%s, %s, %s, %s), %s)",
                         ([1.0], ma.tolist(), np.asarray(ca).tolist(), ta,
                          [1.0], mb.tolist(), np.asarray(cb).tolist(), tb, method))[0]
                check(f"pair {ta}/{tb} {method}", got, fn(ma[0], sa, mb[0], sb))


def check_impute_patterns(cur):
    """One query imputing many rows with many missing patterns (more than the
    cache holds), every type, against the textbook row by row."""
    d, k, n = 6, 3, 300
    for ctype in TYPES:
        w, mu, covs = random_model(k, d, ctype)
        S = full_covs(ctype, covs, k, d)
        X = np.array([rng.multivariate_normal(mu[rng.integers(k)], S[0]) for _ in range(n)])
        M = rng.random((n, d)) < 0.35
        rows = [[None if M[i, t] else float(X[i, t]) for t in range(d)] for i in range(n)]
        cur.execute("TRUNCATE m")
        cur.execute("INSERT INTO m VALUES (gmm(%s, %s, %s, %s))",
                    (w.tolist(), mu.tolist(), np.asarray(covs).tolist(), ctype))
        cur.execute("""SELECT o, gmm_impute(m, x) FROM m,
                         (SELECT o, array_agg(v ORDER BY t) AS x
                          FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY r(row, o),
                               jsonb_array_elements(row) WITH ORDINALITY e(j, t),
                               LATERAL (SELECT (j #>> '{}')::float8 AS v) c
                          GROUP BY o) s ORDER BY o""", (__import__("json").dumps(rows),))
        got = cur.fetchall()
        check_true(f"impute patterns {ctype}: {len(got)} rows", len(got) == n)
        for (o, g), i in zip(got, range(n)):
            want = X[i].copy()
            obs = [t for t in range(d) if not M[i, t]]
            if len(obs) == 0:
                want = w @ mu
            elif len(obs) < d:
                post, cm, _, b_idx = conditional(w, mu, S, obs, X[i][obs])
                want[b_idx] = post @ cm
            check(f"impute patterns {ctype} row {o}", g, want, scale=np.abs(mu).max())


def check_chi2(cur):
    """gmm_chi2_quantile against scipy.stats.chi2.ppf."""
    dfs = [0.5, 1, 2, 3, 4, 5, 7.5, 10, 16, 19.5, 20, 25, 50, 100, 1000, 4096]
    ps = [1e-12, 1e-6, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99,
          0.999, 1 - 1e-6, 1 - 1e-12]
    ps += rng.uniform(0, 1, 5).tolist()
    cur.execute("SELECT p, df, gmm_chi2_quantile(p, df) FROM unnest(%s::float8[]) p,"
                " unnest(%s::float8[]) df", (ps, dfs))
    rows = cur.fetchall()
    got = np.array([r[2] for r in rows])
    want = np.array([chi2.ppf(r[0], r[1]) for r in rows])
    check("chi2 quantile", got, want, rtol=1e-12)
    check_true("chi2 quantile count", len(rows) == len(ps) * len(dfs))


def check_regress_cache(conn):
    """gmm_regress over many rows factorises once (a DEBUG1 message per factorisation)."""
    cur = conn.cursor()
    w, mu, covs = random_model(4, 12, "full")
    cur.execute("TRUNCATE m")
    cur.execute("INSERT INTO m VALUES (gmm(%s, %s, %s, 'full'))",
                (w.tolist(), mu.tolist(), covs.tolist()))
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SET client_min_messages = debug1")
    del conn.notices[:]
    t0 = time.time()
    cur.execute("""SELECT count(*), sum(r[1]) FROM m,
                     LATERAL (SELECT gmm_regress(m, ARRAY[3, 1, 7], ARRAY[a, b, c]) AS r
                              FROM (SELECT random() a, random() b, random() c
                                    FROM generate_series(1, 20000)) t) s""")
    n, _ = cur.fetchone()
    elapsed = time.time() - t0
    cur.execute("RESET client_min_messages")
    facts = [s for s in conn.notices if "factorizing" in s]
    check_true(f"regress over {n} rows factorised {len(facts)} times, want 1", len(facts) == 1)
    # same with the model as a constant
    del conn.notices[:]
    cur.execute("SET client_min_messages = debug1")
    cur.execute("SELECT gmm_regress(%s::gmm, ARRAY[2], ARRAY[g::float8]) FROM generate_series(1, 1000) g",
                (q1(cur, "SELECT m::text FROM m")[0],))
    cur.execute("RESET client_min_messages")
    facts = [s for s in conn.notices if "factorizing" in s]
    check_true(f"regress with a constant model factorised {len(facts)} times, want 1",
               len(facts) == 1)
    return n, elapsed


def main():
    t0 = time.time()
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
    cur.execute("SET extra_float_digits = 3")
    cur.execute("CREATE TEMP TABLE m (m gmm)")
    nmodels = 0
    for ctype in TYPES:
        for d in (1, 2, 3, 5, 8, 16):
            for k in (1, 3, 5):
                for _ in range(2):
                    check_model(cur, k, d, ctype)
                    nmodels += 1
    check_mixed_pair(cur)
    check_impute_patterns(cur)
    check_chi2(cur)
    nrows, elapsed = check_regress_cache(conn)
    print(f"check_infer: {checks} checks on {nmodels} random models, "
          f"regress over {nrows} rows in {elapsed:.2f} s, total {time.time() - t0:.1f} s")
    if failures:
        for f in failures[:50]:
            print("FAIL:", f)
        print(f"{len(failures)} of {checks} checks failed")
        sys.exit(1)
    print("all agree within", RTOL)


if __name__ == "__main__":
    main()
