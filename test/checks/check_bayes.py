#!/usr/bin/python3
"""Variational fits (option "prior") against scikit-learn 1.2's
BayesianGaussianMixture.

1. Same start, same answer: from the same initial responsibilities (those of
   a given Gaussian mixture; scikit-learn's _initialize_parameters is patched
   to take them), weights, means, covariances, the posterior parameters and
   the lower bound agree to 1e-9 relative after 1, 5 and 50 iterations, with
   identical iteration counts and converged flags: every covariance type,
   both prior types, d in {1, 2, 8} and k in {1, 3, 10} (each (type, prior)
   pair over three (d, k) pairs of a Latin square, so every d and every k
   meets every covariance type), half of them with explicit priors.
2. Data from a known 3-component mixture fitted with k = 12 and a
   Dirichlet-process prior: 3 effective components, as scikit-learn finds.
3. gmm_vb_step serial = parallel (forced workers) = distributed
   (gmm_vb_stats per shard, through text, gmm_stats_merge, gmm_vb_update)
   to 1e-12; gmm_train with the prior = gmm_fit with the prior.
4. Weights equal repeated rows (gmm_fit_weighted, gmm_vb_step with weights).

Connection from the PG* environment variables; exit 0 = pass.
"""
import io
import json
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import gmmtest  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture  # noqa: E402
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)
RTOL = 1e-9
V = gmmtest.Verdict("check_bayes")
COV_TYPES = ["full", "diag", "spherical", "tied"]
PRIORS = ["dirichlet_process", "dirichlet_distribution"]


def make_mixture(rng, n, d, k, sep=6.0):
    means = rng.normal(size=(k, d)) * sep
    rows = []
    counts = rng.multinomial(n - 3 * k, np.full(k, 1.0 / k)) + 3
    for j in range(k):
        a = rng.normal(size=(d, d)) * 0.5
        cov = a @ a.T + np.diag(rng.uniform(0.3, 1.2, size=d))
        rows.append(rng.multivariate_normal(means[j], cov, size=counts[j]))
    X = np.vstack(rows)
    rng.shuffle(X)
    return X


def load(cur, X, table, weights=None):
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TABLE {table} (id int, w float8, x float8[])")
    buf = io.StringIO()
    for i, row in enumerate(X):
        arr = "{" + ",".join(repr(float(v)) for v in row) + "}"
        wv = repr(float(weights[i])) if weights is not None else "\\N"
        buf.write(f"{i}\t{wv}\t{arr}\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} FROM STDIN", buf)
    cur.execute(f"ANALYZE {table}")


def start(rng, X, k, ct):
    n, d = X.shape
    means = X[rng.choice(n, size=k, replace=False)] + rng.normal(scale=0.3, size=(k, d))
    w = rng.dirichlet(np.full(k, 4.0))
    var = X.var(axis=0) * 0.5 + 0.2
    covs = {"full": np.array([np.diag(var)] * k), "tied": np.diag(var),
            "diag": np.array([var] * k), "spherical": np.full(k, var.mean())}[ct]
    return w, means, covs


def initial_resp(X, ct, w, means, covs):
    gm = GaussianMixture(len(w), covariance_type=ct)
    gm.weights_, gm.means_, gm.covariances_ = w, means, covs
    gm.precisions_cholesky_ = _compute_precision_cholesky(covs, ct)
    return gm.predict_proba(X)


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return np.inf
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def sk_fit(X, resp, k, ct, ptype, max_iter, priors):
    bgm = BayesianGaussianMixture(
        n_components=k, covariance_type=ct, weight_concentration_prior_type=ptype,
        max_iter=max_iter, n_init=1, random_state=0, **priors)
    bgm._initialize_parameters = lambda X_, rs: bgm._initialize(X_, resp)
    bgm.fit(X)
    return bgm


def compare(tag, m, bgm, ct, ptype, worst):
    fit = m["fit"]
    vb = fit["variational"]
    k = len(m["weights"])
    pairs = [
        ("weights", m["weights"], bgm.weights_),
        ("means", m["means"], bgm.means_),
        ("covariances", m["covariances"], bgm.covariances_),
        ("weight_concentration", vb["weight_concentration"],
         np.array(bgm.weight_concentration_) if ptype == "dirichlet_process"
         else bgm.weight_concentration_),
        ("mean_precision", vb["mean_precision"], bgm.mean_precision_),
        ("degrees_of_freedom", vb["degrees_of_freedom"],
         np.full(k, bgm.degrees_of_freedom_) if ct == "tied" else bgm.degrees_of_freedom_),
        ("lower_bound", [vb["lower_bound"]], [bgm.lower_bound_]),
    ]
    for name, a, b in pairs:
        e = rel(a, b)
        worst[name] = max(worst.get(name, 0.0), e)
        V.check(e < RTOL, f"{tag}: {name} differs by {e:.3g} relative")
    V.check(fit["n_iter"] == bgm.n_iter_,
            f"{tag}: n_iter {fit['n_iter']} vs scikit-learn {bgm.n_iter_}")
    worst["_converged"] = worst.get("_converged", 0) + bool(bgm.converged_)
    V.check(fit["converged"] == bool(bgm.converged_),
            f"{tag}: converged {fit['converged']} vs scikit-learn {bgm.converged_}")


def same_start(cur):
    rng = np.random.default_rng(15)
    latin = [[(1, 1), (2, 3), (8, 10)], [(1, 3), (2, 10), (8, 1)], [(1, 10), (2, 1), (8, 3)]]
    worst = {}
    n_cases = 0
    data = {}
    for ci, ct in enumerate(COV_TYPES):
        for pi, ptype in enumerate(PRIORS):
            combo = 2 * ci + pi
            for (d, k) in latin[combo % 3]:
                if (d, k) not in data:
                    X = make_mixture(rng, 400 if d < 8 else 600, d, min(k, 4))
                    load(cur, X, f"bayes_d{d}k{k}")
                    data[(d, k)] = X
                X = data[(d, k)]
                w, means, covs = start(rng, X, k, ct)
                resp = initial_resp(X, ct, w, means, covs)
                explicit = (combo + d) % 2 == 1
                priors = {}
                prior_opt = {"type": ptype}
                if explicit:
                    cp = {"full": np.eye(d) * 0.8 + 0.1, "tied": np.eye(d) * 0.8 + 0.1,
                          "diag": np.full(d, 0.7), "spherical": 0.9}[ct]
                    priors = dict(weight_concentration_prior=0.05, mean_precision_prior=0.5,
                                  mean_prior=X.mean(0) + 0.25, degrees_of_freedom_prior=d + 1.5,
                                  covariance_prior=cp)
                    prior_opt.update(weight_concentration=0.05, mean_precision=0.5,
                                     mean=(X.mean(0) + 0.25).tolist(),
                                     degrees_of_freedom=d + 1.5,
                                     covariance=cp if ct == "spherical" else np.asarray(cp).tolist())
                for max_iter in (1, 5, 50):
                    opts = {"covariance_type": ct, "max_iter": max_iter, "prior": prior_opt,
                            "means": means.tolist(), "weights": w.tolist(),
                            "covariances": np.asarray(covs).tolist()}
                    cur.execute(f"SELECT gmm_fit(x, %s, %s)::text FROM bayes_d{d}k{k}",
                                (k, json.dumps(opts)))
                    m = json.loads(cur.fetchone()[0])
                    bgm = sk_fit(X, resp, k, ct, ptype, max_iter, priors)
                    compare(f"{ct}/{ptype}/d={d}/k={k}/max_iter={max_iter}"
                            f"{'/explicit' if explicit else ''}", m, bgm, ct, ptype, worst)
                    n_cases += 1
    conv = worst.pop("_converged", 0)
    print(f"same start: {n_cases} fits ({conv} converged before max_iter); worst relative differences: " +
          ", ".join(f"{k} {v:.2g}" for k, v in worst.items()))


def effective(cur):
    rng = np.random.default_rng(3)
    means = np.array([[0.0, 0.0], [8.0, 1.0], [2.0, 9.0]])
    X = np.vstack([rng.multivariate_normal(mu, np.eye(2) * s, size=n)
                   for mu, s, n in zip(means, (1.0, 0.6, 1.5), (300, 200, 250))])
    rng.shuffle(X)
    load(cur, X, "bayes_three")
    cur.execute("""SELECT gmm_effective_components(m), gmm_n_components(gmm_prune(m)),
                          gmm_weights(m) FROM (SELECT gmm_fit(x, 12,
                          '{"prior": {"type": "dirichlet_process", "weight_concentration": 0.01},
                            "max_iter": 500, "seed": 1}') m FROM bayes_three) s""")
    eff, pruned, weights = cur.fetchone()
    bgm = BayesianGaussianMixture(n_components=12, weight_concentration_prior=0.01,
                                  max_iter=500, random_state=1).fit(X)
    sk_eff = int((bgm.weights_ > 0.01).sum())
    print(f"effective components: gmm {eff}, scikit-learn {sk_eff}")
    V.check(eff == 3 and pruned == 3, f"gmm finds {eff} effective components (pruned {pruned}), not 3")
    V.check(sk_eff == 3, f"scikit-learn finds {sk_eff} effective components, not 3")


def model_rel(a, b):
    a, b = json.loads(a), json.loads(b)
    va, vb = a["fit"]["variational"], b["fit"]["variational"]
    e = 0.0
    for key in ("weights", "means", "covariances"):
        e = max(e, rel(a[key], b[key]))
    for key in ("weight_concentration", "mean_precision", "degrees_of_freedom"):
        e = max(e, rel(va[key], vb[key]))
    return max(e, rel([va["lower_bound"]], [vb["lower_bound"]]))


def paths(cur):
    rng = np.random.default_rng(7)
    X = make_mixture(rng, 30000, 3, 3)
    load(cur, X, "bayes_big", weights=None)
    cur.execute("SELECT gmm_fit(x, 4, '{\"prior\": {}, \"max_iter\": 3, \"seed\": 2}') FROM bayes_big")
    m = cur.fetchone()[0]
    cur.execute("SET max_parallel_workers_per_gather = 0")
    cur.execute("SELECT gmm_vb_step(%s::gmm, x)::text FROM bayes_big", (m,))
    serial = cur.fetchone()[0]
    cur.execute("SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; "
                "SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0")
    cur.execute("EXPLAIN SELECT gmm_vb_step(%s::gmm, x) FROM bayes_big", (m,))
    plan = "\n".join(r[0] for r in cur.fetchall())
    V.check("Partial Aggregate" in plan, "no parallel plan for gmm_vb_step:\n" + plan)
    cur.execute("SELECT gmm_vb_step(%s::gmm, x)::text FROM bayes_big", (m,))
    par = cur.fetchone()[0]
    cur.execute("RESET max_parallel_workers_per_gather")
    cur.execute("""SELECT gmm_vb_update(gmm_stats_merge(s::text::gmm_stats))::text FROM
                   (SELECT gmm_vb_stats(%s::gmm, x) s FROM bayes_big GROUP BY id %% 3) p""", (m,))
    dist = cur.fetchone()[0]
    e_par, e_dist = model_rel(par, serial), model_rel(dist, serial)
    print(f"paths: parallel vs serial {e_par:.2g}, distributed vs serial {e_dist:.2g}")
    V.check(e_par < 1e-12, f"parallel gmm_vb_step differs from serial by {e_par:.3g}")
    V.check(e_dist < 1e-12, f"distributed gmm_vb_step differs from serial by {e_dist:.3g}")

    # gmm_train with the prior = gmm_fit with the prior (same given start)
    w, means, covs = start(rng, X, 4, "diag")
    opts = json.dumps({"covariance_type": "diag", "prior": {"weight_concentration": 0.1},
                       "means": means.tolist(), "weights": w.tolist(),
                       "covariances": covs.tolist(), "tol": 1e-6})
    cur.execute("SELECT gmm_fit(x, 4, %s)::text FROM bayes_big", (opts,))
    fit = cur.fetchone()[0]
    cur.execute("SELECT gmm_train('bayes_big', 'x', 4, %s)::text", (opts,))
    train = cur.fetchone()[0]
    e = model_rel(train, fit)
    same_iter = json.loads(train)["fit"]["n_iter"] == json.loads(fit)["fit"]["n_iter"]
    print(f"gmm_train vs gmm_fit: {e:.2g}")
    V.check(e < 1e-9 and same_iter, f"gmm_train differs from gmm_fit by {e:.3g} (same n_iter: {same_iter})")


def weighted(cur):
    rng = np.random.default_rng(11)
    X = make_mixture(rng, 300, 2, 3)
    wt = rng.integers(1, 4, size=len(X)).astype(float)
    load(cur, X, "bayes_w", weights=wt)
    load(cur, np.repeat(X, wt.astype(int), axis=0), "bayes_rep")
    w, means, covs = start(rng, X, 3, "full")
    opts = json.dumps({"prior": {"type": "dirichlet_distribution"}, "means": means.tolist(),
                       "weights": w.tolist(), "covariances": covs.tolist(), "max_iter": 20})
    cur.execute("SELECT gmm_fit_weighted(x, w, 3, %s)::text FROM bayes_w", (opts,))
    a = cur.fetchone()[0]
    cur.execute("SELECT gmm_fit(x, 3, %s)::text FROM bayes_rep", (opts,))
    b = cur.fetchone()[0]
    e = model_rel(a, b)
    print(f"weights vs repeated rows: fit {e:.2g}", end="")
    V.check(e < 1e-9, f"gmm_fit_weighted differs from repeated rows by {e:.3g}")
    cur.execute("SELECT gmm_vb_step(%s::gmm, x, w)::text FROM bayes_w", (a,))
    sa = cur.fetchone()[0]
    cur.execute("SELECT gmm_vb_step(%s::gmm, x)::text FROM bayes_rep", (a,))
    sb = cur.fetchone()[0]
    e = model_rel(sa, sb)
    print(f", step {e:.2g}")
    V.check(e < 1e-9, f"weighted gmm_vb_step differs from repeated rows by {e:.3g}")


def main():
    conn = gmmtest.connect()
    cur = conn.cursor()
    try:
        same_start(cur)
        effective(cur)
        paths(cur)
        weighted(cur)
    finally:
        for t in ("bayes_three", "bayes_big", "bayes_w", "bayes_rep") + tuple(
                f"bayes_d{d}k{k}" for d in (1, 2, 8) for k in (1, 3, 10)):
            cur.execute(f"DROP TABLE IF EXISTS {t}")
    V.finish()


if __name__ == "__main__":
    main()
