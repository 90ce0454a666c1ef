"""gmm_pg: use the gmm PostgreSQL extension from Python.

Put the repository's python/ directory on sys.path (no installation needed):

    import sys; sys.path.insert(0, "/path/to/gmm/python")
    import psycopg                      # or psycopg2
    import gmm_pg

    conn = psycopg.connect("")
    gmm_pg.register(conn)               # gmm <-> GaussianMixtureModel, numpy -> float8[]
    m = conn.execute("SELECT gmm_fit(x, 3) FROM points").fetchone()[0]
    gm = gmm_pg.to_sklearn(m)           # a fitted sklearn GaussianMixture
    conn.execute("SELECT gmm_logpdf(%s, %s)", (gmm_pg.from_sklearn(gm), np.zeros(2)))
    gmm_pg.plot(m, points).figure.savefig("clusters.png")

Needs numpy; to_sklearn/from_sklearn need scikit-learn (and scipy), plot
needs matplotlib, register needs psycopg2 or psycopg 3.  On Debian:
apt-get install python3-numpy python3-sklearn python3-matplotlib
python3-psycopg2 python3-psycopg.
"""
from .model import GaussianMixtureModel, COVARIANCE_TYPES, covariance_shape
from .adapters import register, GmmTypeNotFound
from .sklearn_bridge import to_sklearn, from_sklearn, precisions_cholesky
from .plotting import plot, predict, log_responsibilities

__all__ = [
    "GaussianMixtureModel", "COVARIANCE_TYPES", "covariance_shape",
    "register", "GmmTypeNotFound",
    "to_sklearn", "from_sklearn", "precisions_cholesky",
    "plot", "predict", "log_responsibilities",
]
__version__ = "0.2.0"
