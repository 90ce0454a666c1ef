"""Moving models between gmm and scikit-learn's GaussianMixture.

to_sklearn(model) gives a fitted sklearn.mixture.GaussianMixture whose
precisions_cholesky_ and precisions_ are computed from the covariances
exactly as scikit-learn computes them after a fit, so score_samples,
predict, predict_proba, bic, aic and sample work at once.  from_sklearn(gm)
gives the GaussianMixtureModel of a fitted GaussianMixture (any of the four
covariance types), ready to be sent to PostgreSQL as a gmm value.
"""
import numpy as np

from .model import GaussianMixtureModel, COVARIANCE_TYPES

__all__ = ["to_sklearn", "from_sklearn", "precisions_cholesky"]


def _as_model(model, func):
    if not isinstance(model, GaussianMixtureModel):
        raise TypeError("%s() needs a GaussianMixtureModel (a gmm value read through "
                        "gmm_pg.register), not %s" % (func, type(model).__name__))
    return model


def precisions_cholesky(covariances, covariance_type):
    """The Cholesky factors of the precision matrices, computed as
    scikit-learn's _compute_precision_cholesky does (same operations, so the
    same bits).  Raises ValueError when a covariance is not positive definite."""
    from scipy import linalg

    msg = ("a %s covariance is not positive definite (or is singular), so the model "
           "has no precision matrix" % covariance_type)
    if covariance_type == "full":
        n_components, n_features, _ = covariances.shape
        out = np.empty((n_components, n_features, n_features))
        for j, cov in enumerate(covariances):
            try:
                cov_chol = linalg.cholesky(cov, lower=True)
            except linalg.LinAlgError:
                raise ValueError(msg + " (component %d)" % j) from None
            out[j] = linalg.solve_triangular(cov_chol, np.eye(n_features), lower=True).T
        return out
    if covariance_type == "tied":
        n_features = covariances.shape[0]
        try:
            cov_chol = linalg.cholesky(covariances, lower=True)
        except linalg.LinAlgError:
            raise ValueError(msg) from None
        return linalg.solve_triangular(cov_chol, np.eye(n_features), lower=True).T
    if np.any(np.less_equal(covariances, 0.0)):
        raise ValueError(msg)
    return 1.0 / np.sqrt(covariances)


def _precisions(prec_chol, covariance_type):
    """precisions_ from precisions_cholesky_, as scikit-learn's _set_parameters."""
    if covariance_type == "full":
        out = np.empty(prec_chol.shape)
        for j, pc in enumerate(prec_chol):
            out[j] = np.dot(pc, pc.T)
        return out
    if covariance_type == "tied":
        return np.dot(prec_chol, prec_chol.T)
    return prec_chol ** 2


def to_sklearn(model, **params):
    """A fitted sklearn.mixture.GaussianMixture equal to the model.

    Sets weights_, means_, covariances_, precisions_cholesky_, precisions_
    and n_features_in_; and, for a model fitted by gmm_fit (model.fitted),
    converged_, n_iter_ and lower_bound_ (gmm's mean log-likelihood per
    row).  Extra keyword arguments go to the GaussianMixture constructor
    (e.g. random_state for sample()); n_components and covariance_type come
    from the model.
    """
    from sklearn.mixture import GaussianMixture

    m = _as_model(model, "to_sklearn")
    gm = GaussianMixture(n_components=m.n_components, covariance_type=m.covariance_type, **params)
    gm.weights_ = m.weights.copy()
    gm.means_ = m.means.copy()
    gm.covariances_ = m.covariances.copy()
    gm.precisions_cholesky_ = precisions_cholesky(gm.covariances_, m.covariance_type)
    gm.precisions_ = _precisions(gm.precisions_cholesky_, m.covariance_type)
    gm.n_features_in_ = m.dimension
    if m.fitted:
        gm.converged_ = m.converged
        gm.n_iter_ = m.n_iter
        gm.lower_bound_ = m.log_likelihood
    return gm


def from_sklearn(gm, n_rows=None):
    """The GaussianMixtureModel of a fitted sklearn GaussianMixture.

    The fit metadata (converged_, n_iter_, lower_bound_ as the mean
    log-likelihood) is kept when n_rows, the number of rows (or total sample
    weight) the model was fitted on, is given: scikit-learn does not store
    it, and a gmm value carries all four or none.
    """
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:          # pragma: no cover - sklearn is a dependency
        GaussianMixture = None
    if GaussianMixture is None or not isinstance(gm, GaussianMixture):
        raise TypeError("from_sklearn() needs a fitted sklearn.mixture.GaussianMixture, not %s"
                        % type(gm).__name__)
    missing = [a for a in ("weights_", "means_", "covariances_") if not hasattr(gm, a)]
    if missing:
        raise ValueError("from_sklearn(): this GaussianMixture is not fitted (no %s); "
                         "call fit() first or build one with to_sklearn()" % missing[0])
    if gm.covariance_type not in COVARIANCE_TYPES:
        raise ValueError("from_sklearn(): unknown covariance_type %r" % (gm.covariance_type,))
    kw = {}
    if n_rows is not None:
        for a in ("converged_", "n_iter_", "lower_bound_"):
            if not hasattr(gm, a):
                raise ValueError("from_sklearn(): n_rows was given but the GaussianMixture "
                                 "has no %s (it was not fitted by fit())" % a)
        kw = dict(n_rows=n_rows, log_likelihood=gm.lower_bound_, n_iter=gm.n_iter_,
                  converged=gm.converged_)
    return GaussianMixtureModel(gm.covariance_type, gm.weights_, gm.means_, gm.covariances_, **kw)
