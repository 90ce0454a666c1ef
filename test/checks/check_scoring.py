#!/usr/bin/python3
"""Cross-check of scoring and sampling against scipy.

For random valid models with d in {1, 2, 5, 16, 64} and every covariance
type, gmm_logpdf, gmm_predict_proba, gmm_component_pdf and gmm_predict agree
with scipy's multivariate normal mixture to 1e-9 relative; the mean and
covariance of 100k gmm_sample rows agree with the model's within
statistical tolerance.  Connection from the PG* environment variables.
"""
import sys

import numpy as np
import psycopg2
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

TYPES = ("full", "diag", "spherical", "tied")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def random_model(rng, k, d, cov_type):
    w = rng.dirichlet(np.ones(k) * 2.0)
    w[-1] = 1.0 - w[:-1].sum()
    mu = rng.normal(0.0, 3.0, size=(k, d))
    if cov_type == "full":
        covs = []
        for _ in range(k):
            a = rng.normal(size=(d, d))
            covs.append(a @ a.T / d + 0.5 * np.eye(d))
        cov = np.array(covs)
    elif cov_type == "tied":
        a = rng.normal(size=(d, d))
        cov = a @ a.T / d + 0.5 * np.eye(d)
    elif cov_type == "diag":
        cov = rng.uniform(0.5, 2.0, size=(k, d))
    else:
        cov = rng.uniform(0.5, 2.0, size=k)
    return w, mu, cov


def full_covs(k, d, cov_type, cov):
    if cov_type == "full":
        return cov
    if cov_type == "tied":
        return np.array([cov] * k)
    if cov_type == "diag":
        return np.array([np.diag(c) for c in cov])
    return np.array([np.eye(d) * c for c in cov])


def model_json(w, mu, cov, cov_type):
    def arr(a):
        a = np.asarray(a)
        if a.ndim == 0:
            return repr(float(a))
        return "[" + ",".join(arr(x) for x in a) + "]"
    return ('{"covariance_type":"%s","weights":%s,"means":%s,"covariances":%s}'
            % (cov_type, arr(w), arr(mu), arr(cov)))


def rel_close(a, b, rtol):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return np.all(np.abs(a - b) <= rtol * np.maximum(np.abs(b), 1.0))


def check_scoring(cur, rng, k, d, cov_type):
    w, mu, cov = random_model(rng, k, d, cov_type)
    covs = full_covs(k, d, cov_type, cov)
    comps = rng.integers(0, k, size=150)
    pts = np.array([rng.multivariate_normal(mu[j], covs[j]) for j in comps])
    far = mu[0] + 40.0 * np.sqrt(np.diag(covs[0])) * rng.choice([-1, 1], size=d)
    pts = np.vstack([pts, far[None, :]])
    # weighted log density per component, from scipy
    lp = np.column_stack([np.log(w[j]) + multivariate_normal(mu[j], covs[j]).logpdf(pts).reshape(-1)
                          for j in range(k)])
    ref_ll = logsumexp(lp, axis=1)
    ref_proba = np.exp(lp - ref_ll[:, None])
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS cpts (i int, x float8[])")
    cur.execute("TRUNCATE cpts")
    cur.executemany("INSERT INTO cpts VALUES (%s, %s)",
                    [(i, [float(v) for v in p]) for i, p in enumerate(pts)])
    cur.execute("SELECT gmm_logpdf(m, x), gmm_predict_proba(m, x), gmm_component_logpdf(m, x),"
                " gmm_component_pdf(m, x), gmm_predict(m, x), gmm_pdf(m, x)"
                " FROM cpts, (SELECT %s::gmm m) s ORDER BY i", (model_json(w, mu, cov, cov_type),))
    rows = cur.fetchall()
    ll = np.array([r[0] for r in rows])
    proba = np.array([r[1] for r in rows])
    clp = np.array([r[2] for r in rows])
    cpdf = np.array([r[3] for r in rows])
    pred = np.array([r[4] for r in rows])
    pdf = np.array([r[5] for r in rows])
    tag = "k=%d d=%d %s" % (k, d, cov_type)
    if not rel_close(ll, ref_ll, 1e-9):
        fail("%s: logpdf differs by %g" % (tag, np.max(np.abs(ll - ref_ll))))
    if not np.all(np.isfinite(ll)):
        fail("%s: non-finite logpdf (far point)" % tag)
    if not rel_close(proba, ref_proba, 1e-9):
        fail("%s: predict_proba differs by %g" % (tag, np.max(np.abs(proba - ref_proba))))
    if not np.allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12):
        fail("%s: responsibilities do not sum to 1" % tag)
    if not rel_close(clp, lp, 1e-9):
        fail("%s: component log densities differ" % tag)
    ref_cpdf = np.exp(lp)
    if not np.all(np.abs(cpdf - ref_cpdf) <= 1e-9 * ref_cpdf + 1e-300):
        fail("%s: component_pdf differs" % tag)
    if not np.all(np.abs(pdf - np.exp(ref_ll)) <= 1e-9 * np.exp(ref_ll) + 1e-300):
        fail("%s: pdf differs" % tag)
    # the predicted component is the most responsible one (ties aside)
    top = np.argmax(ref_proba, axis=1) + 1
    gap = np.sort(ref_proba, axis=1)
    clear = (gap[:, -1] - (gap[:, -2] if k > 1 else 0)) > 1e-9
    if not np.all(pred[clear] == top[clear]):
        fail("%s: predict disagrees with argmax of scipy's responsibilities" % tag)
    return "%s ok: max |dlogpdf| %.2e" % (tag, np.max(np.abs(ll - ref_ll)))


def check_sampling(cur, rng, k, d, cov_type, n=100000):
    w, mu, cov = random_model(rng, k, d, cov_type)
    covs = full_covs(k, d, cov_type, cov)
    m = model_json(w, mu, cov, cov_type)
    cur.execute("SELECT component, x FROM gmm_sample_with_component(%s::gmm, %s, 12345)", (m, n))
    rows = cur.fetchall()
    comp = np.array([r[0] for r in rows]) - 1
    x = np.array([r[1] for r in rows])
    tag = "sample k=%d d=%d %s" % (k, d, cov_type)
    if x.shape != (n, d):
        fail("%s: shape %s" % (tag, x.shape))
        return tag
    counts = np.bincount(comp, minlength=k)
    sd = np.sqrt(n * w * (1 - w))
    if np.any(np.abs(counts - n * w) > 5 * sd + 1):
        fail("%s: component counts %s vs expected %s" % (tag, counts, n * w))
    mean = w @ mu
    cov_m = sum(w[j] * (covs[j] + np.outer(mu[j], mu[j])) for j in range(k)) - np.outer(mean, mean)
    xm = x.mean(axis=0)
    se = np.sqrt(np.diag(cov_m) / n)
    if np.any(np.abs(xm - mean) > 5 * se):
        fail("%s: sample mean off by %s standard errors" % (tag, np.max(np.abs(xm - mean) / se)))
    xc = x - xm
    xcov = xc.T @ xc / (n - 1)
    # standard error of each covariance entry, estimated from the draws
    if d <= 16:
        prod_var = np.array([[np.var(xc[:, a] * xc[:, b]) for b in range(d)] for a in range(d)])
    else:
        prod_var = np.outer(np.diag(cov_m), np.diag(cov_m)) * 4
    cse = np.sqrt(prod_var / n)
    z = np.abs(xcov - cov_m) / cse
    if np.any(z > 6):
        fail("%s: sample covariance off by %.1f standard errors" % (tag, z.max()))
    # rows come in random order, not grouped by component
    if k > 1 and np.sum(comp[1:] != comp[:-1]) < n * 0.1:
        fail("%s: rows look grouped by component" % tag)
    return "%s ok: mean z %.2f, cov z %.2f" % (tag, np.max(np.abs(xm - mean) / se), z.max())


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")
    rng = np.random.default_rng(20261125)
    for d in (1, 2, 5, 16, 64):
        for cov_type in TYPES:
            for k in (1, 4):
                print(check_scoring(cur, rng, k, d, cov_type))
    for d in (1, 2, 5, 16):
        for cov_type in TYPES:
            print(check_sampling(cur, rng, 3, d, cov_type))
    print(check_sampling(cur, rng, 2, 64, "full", n=30000))
    # a real[] point scores like the float8[] point it converts to
    cur.execute("SELECT gmm_logpdf(m, '{0.5,0.25}'::real[]) = gmm_logpdf(m, '{0.5,0.25}'::float8[])"
                " FROM (SELECT gmm('{1}', '{0,0}', '{1,0.5,0.5,2}') m) s")
    if not cur.fetchone()[0]:
        fail("real[] point")
    conn.close()
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("scoring and sampling agree with scipy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
