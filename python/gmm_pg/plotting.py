"""plot(): points coloured by component and confidence ellipses, with matplotlib."""
import os
import sys

import numpy as np

from .model import GaussianMixtureModel

__all__ = ["plot", "predict", "log_responsibilities"]


def log_responsibilities(model, points):
    """(n, k) log of the weighted component densities at the points, in numpy
    (the same numbers as gmm_component_logpdf up to rounding)."""
    X = _points(points, model.dimension)
    k, d = model.n_components, model.dimension
    covs = model.full_covariances()
    out = np.empty((X.shape[0], k))
    for j in range(k):
        L = np.linalg.cholesky(covs[j])
        z = np.linalg.solve(L, (X - model.means[j]).T)
        out[:, j] = (np.log(model.weights[j]) - 0.5 * d * np.log(2 * np.pi)
                     - np.sum(np.log(np.diag(L))) - 0.5 * np.sum(z * z, axis=0))
    return out


def predict(model, points):
    """The most probable component of each point, 0-based (gmm_predict - 1)."""
    if not isinstance(model, GaussianMixtureModel):
        raise TypeError("predict() needs a GaussianMixtureModel, not %s" % type(model).__name__)
    return np.argmax(log_responsibilities(model, points), axis=1)


def _points(points, d):
    try:
        X = np.array(points, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError("points must be an (n, d) array of numbers: %s" % e) from None
    if X.ndim == 1 and d == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError("points must have shape (n, %d) for a model of dimension %d, got %s"
                         % (d, d, X.shape))
    return X


def _new_axes():
    import matplotlib
    # no display (a server, CI): draw off screen unless a backend was chosen
    if (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("MPLBACKEND")):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    _, ax = plt.subplots(figsize=(6.4, 4.8))
    return ax


def plot(model, points=None, ax=None, dims=(0, 1), sigmas=(1, 2), colors=None,
         point_size=8, show_means=True, legend=True, title=None):
    """Draw a model (and points) with matplotlib; returns the Axes.

    model    a GaussianMixtureModel (a gmm value read through gmm_pg.register)
    points   optional (n, d) array: drawn coloured by the component gmm_predict
             would give them (computed on all d dims)
    ax       the matplotlib Axes to draw into; a new figure when None (with the
             Agg backend when there is no display)
    dims     the pair of dimensions (0-based) to draw; the ellipses are those
             of each component's marginal on them
    sigmas   Mahalanobis radii of the confidence ellipses (1 and 2 sigma)
    colors   one matplotlib colour per component (default: the tab10 cycle)

    A model of dimension 1 is drawn as a histogram of the points with each
    weighted component density and the mixture density.
    """
    if not isinstance(model, GaussianMixtureModel):
        raise TypeError("plot() needs a GaussianMixtureModel (a gmm value read through "
                        "gmm_pg.register), not %s" % type(model).__name__)
    k, d = model.n_components, model.dimension
    X = _points(points, d) if points is not None else None
    if ax is None:
        ax = _new_axes()
    if colors is None:
        import matplotlib
        cycle = matplotlib.colormaps["tab10"].colors
        colors = [cycle[j % len(cycle)] for j in range(k)]
    elif len(colors) < k:
        raise ValueError("colors needs one colour per component (%d), got %d" % (k, len(colors)))
    labels = predict(model, X) if X is not None else None

    if d == 1:
        _plot_1d(model, X, labels, ax, colors)
    else:
        _plot_2d(model, X, labels, ax, dims, sigmas, colors, point_size, show_means)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        if d > 1:
            from matplotlib.lines import Line2D
            for n, s in enumerate(sorted(sigmas)):
                handles.append(Line2D([], [], color="dimgray", linewidth=2.0 if n == 0 else 1.2,
                                      linestyle="-" if n == 0 else "--",
                                      label="%g sigma" % s))
        ax.legend(handles=handles, loc="best", fontsize="small", markerscale=2)
    ax.set_title(title if title is not None else
                 "%s mixture, k = %d" % (model.covariance_type, k))
    return ax


def _plot_2d(model, X, labels, ax, dims, sigmas, colors, point_size, show_means):
    from matplotlib.patches import Ellipse

    d = model.dimension
    try:
        i, j = (int(v) for v in dims)
    except (TypeError, ValueError):
        raise ValueError("dims must be a pair of dimension numbers, not %r" % (dims,)) from None
    if not (0 <= i < d and 0 <= j < d) or i == j:
        raise ValueError("dims must be two different dimensions in 0..%d, not %r" % (d - 1, dims))
    covs = model.full_covariances()
    if X is not None:
        for c in range(model.n_components):
            sel = labels == c
            ax.scatter(X[sel, i], X[sel, j], s=point_size, color=colors[c], alpha=0.6,
                       linewidths=0, label="component %d (%d points)" % (c + 1, sel.sum()))
    for c in range(model.n_components):
        sub = covs[c][np.ix_([i, j], [i, j])]
        vals, vecs = np.linalg.eigh(sub)
        vals = np.clip(vals, 0.0, None)
        angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
        for n, s in enumerate(sorted(sigmas)):
            ax.add_patch(Ellipse(model.means[c, [i, j]],
                                 2 * s * np.sqrt(vals[1]), 2 * s * np.sqrt(vals[0]),
                                 angle=angle, fill=False, edgecolor=colors[c],
                                 linewidth=2.0 if n == 0 else 1.2,
                                 linestyle="-" if n == 0 else "--"))
        if show_means:
            ax.plot(*model.means[c, [i, j]], marker="x", color="black", markersize=7,
                    linestyle="none")
    ax.set_xlabel("x[%d]" % (i + 1))
    ax.set_ylabel("x[%d]" % (j + 1))
    if X is None:
        # no points to set the limits: frame the largest ellipses
        r = max(sigmas) * np.sqrt(np.stack([np.diag(c)[[i, j]] for c in covs]))
        lo = (model.means[:, [i, j]] - r).min(axis=0)
        hi = (model.means[:, [i, j]] + r).max(axis=0)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
    ax.autoscale_view()


def _plot_1d(model, X, labels, ax, colors):
    sd = np.sqrt(model.full_covariances()[:, 0, 0])
    mu = model.means[:, 0]
    if X is not None:
        lo, hi = X[:, 0].min(), X[:, 0].max()
        for c in range(model.n_components):
            sel = labels == c
            if sel.any():
                ax.hist(X[sel, 0], bins=30, range=(lo, hi), density=False, alpha=0.35,
                        color=colors[c], weights=np.full(sel.sum(), 1.0 / (len(X) * (hi - lo) / 30)),
                        label="component %d (%d points)" % (c + 1, sel.sum()))
    else:
        lo, hi = (mu - 4 * sd).min(), (mu + 4 * sd).max()
    t = np.linspace(lo, hi, 400)
    dens = model.weights[:, None] * np.exp(-0.5 * ((t[None, :] - mu[:, None]) / sd[:, None]) ** 2) \
        / (sd[:, None] * np.sqrt(2 * np.pi))
    for c in range(model.n_components):
        ax.plot(t, dens[c], color=colors[c], linewidth=1.5)
    ax.plot(t, dens.sum(axis=0), color="black", linewidth=1.5, label="mixture density")
    ax.set_xlabel("x[1]")
    ax.set_ylabel("density")
