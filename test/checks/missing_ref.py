"""Reference EM for Gaussian mixtures on incomplete data, written from the
textbook (Ghahramani and Jordan 1994; Little and Rubin ch. 8 and 11) in plain
numpy, independently of gmm's C kernels: used by check_missing.py.

Rows are arrays with NaN for missing values; rows with every value missing
are dropped (gmm skips and counts them).  For row i with observed dims o,
missing dims m, and component j (mean mu, covariance S):

    log N(x_o | mu_o, S_oo)                       (slogdet and solve)
    xhat_m = mu_m + S_mo S_oo^{-1} (x_o - mu_o)
    C_mm   = S_mm - S_mo S_oo^{-1} S_om

and the M-step (two passes: means first, then scatter about the new means):

    N_j   = sum_i g_ij w_i
    mu_j  = sum_i g_ij w_i xhat_ij / N_j
    S_j   = sum_i g_ij w_i [(xhat_ij - mu_j)(xhat_ij - mu_j)^T + C_ij] / N_j
    diag: the diagonal of S_j; spherical: its mean; tied: sum_j N_j S_j / N
    + reg_covar on the diagonal.
"""
import numpy as np

LOG2PI = np.log(2.0 * np.pi)


def full_covs(cov_type, covs, k, d):
    """The k full d x d matrices of a model's covariances."""
    covs = np.asarray(covs, dtype=float)
    if cov_type == "full":
        return covs.reshape(k, d, d)
    if cov_type == "diag":
        return np.array([np.diag(c) for c in covs.reshape(k, d)])
    if cov_type == "spherical":
        return np.array([np.eye(d) * c for c in covs.reshape(k)])
    return np.array([covs.reshape(d, d)] * k)


def estep(X, w, weights, means, S):
    """Responsibilities g (n x k), per-row log-likelihood ll, and per (row,
    component) the completed row xhat (n x k x d) and conditional covariance
    embedded in d x d (n x k x d x d)."""
    n, d = X.shape
    k = len(weights)
    lp = np.empty((n, k))
    xhat = np.empty((n, k, d))
    C = np.zeros((n, k, d, d))
    obs_mask = ~np.isnan(X)
    # group rows by pattern (vectorised per pattern)
    patterns = {}
    for i in range(n):
        patterns.setdefault(obs_mask[i].tobytes(), []).append(i)
    for key, rows in patterns.items():
        rows = np.array(rows)
        o = obs_mask[rows[0]]
        mi = ~o
        Xo = X[np.ix_(rows, np.where(o)[0])]
        for j in range(k):
            Soo = S[j][np.ix_(o, o)]
            Smo = S[j][np.ix_(mi, o)]
            Smm = S[j][np.ix_(mi, mi)]
            r = Xo - means[j][o]
            sol = np.linalg.solve(Soo, r.T).T            # S_oo^{-1} (x_o - mu_o)
            maha = np.sum(r * sol, axis=1)
            sign, logdet = np.linalg.slogdet(Soo)
            assert sign > 0
            with np.errstate(divide="ignore"):
                lw = np.log(weights[j])
            lp[rows, j] = lw - 0.5 * (o.sum() * LOG2PI + logdet + maha)
            xh = np.tile(means[j], (len(rows), 1))
            xh[:, o] = Xo
            if mi.any():
                xh[:, mi] = means[j][mi] + sol @ Smo.T
                cm = Smm - Smo @ np.linalg.solve(Soo, Smo.T)
                Cd = np.zeros((d, d))
                Cd[np.ix_(mi, mi)] = cm
                C[rows, j] = Cd
            xhat[rows, j] = xh
    mx = lp.max(axis=1, keepdims=True)
    ll = (mx + np.log(np.exp(lp - mx).sum(axis=1, keepdims=True)))[:, 0]
    g = np.exp(lp - ll[:, None])
    return g, ll, xhat, C


def mstep(g, w, xhat, C, cov_type, reg):
    n, k, d = xhat.shape
    gw = g * w[:, None]
    Nk = gw.sum(axis=0)
    weights = Nk / Nk.sum()
    means = np.einsum("ij,ijd->jd", gw, xhat) / Nk[:, None]
    diff = xhat - means[None, :, :]
    S = (np.einsum("ij,ijd,ije->jde", gw, diff, diff) + np.einsum("ij,ijde->jde", gw, C))
    if cov_type == "tied":
        cov = S.sum(axis=0) / Nk.sum() + reg * np.eye(d)
        return weights, means, cov
    S /= Nk[:, None, None]
    if cov_type == "full":
        return weights, means, S + reg * np.eye(d)[None]
    dg = np.array([np.diag(s) for s in S])
    if cov_type == "diag":
        return weights, means, dg + reg
    return weights, means, dg.mean(axis=1) + reg


def em(X, w, cov_type, weights, means, covs, reg, snapshots):
    """Run EM from the given start; returns {iteration: (weights, means,
    covs, mean observed-data log-likelihood of that model)} for each
    iteration count in snapshots."""
    X = np.asarray(X, dtype=float)
    keep = ~np.all(np.isnan(X), axis=1)
    X, w = X[keep], np.asarray(w, dtype=float)[keep]
    k, d = len(weights), X.shape[1]
    weights, means, covs = np.asarray(weights, float), np.asarray(means, float), np.asarray(covs, float)
    out = {}
    for it in range(1, max(snapshots) + 1):
        g, ll, xhat, C = estep(X, w, weights, means, full_covs(cov_type, covs, k, d))
        weights, means, covs = mstep(g, w, xhat, C, cov_type, reg)
        if it in snapshots:
            _, ll2, _, _ = estep(X, w, weights, means, full_covs(cov_type, covs, k, d))
            out[it] = (weights, means, covs, float(np.sum(w * ll2) / np.sum(w)))
    return out
