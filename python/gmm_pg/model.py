"""The Python side of a gmm value: GaussianMixtureModel.

A gmm value's text form is a JSON object (see the extension's src/model_io.c):

    {"covariance_type": "full", "n_components": k, "dimension": d,
     "weights": [k], "means": [k][d], "covariances": ...,
     "fit": {"n_rows": ..., "log_likelihood": ..., "n_iter": ..., "converged": ...}}

with the covariances in scikit-learn's shape for the covariance type (full
[k][d][d], diag [k][d], spherical [k], tied [d][d]) and "fit" only for a
fitted model.  Its binary form (gmm_send / gmm_recv) is a header (version,
type code, flags, k, d, n_iter, n_rows, log-likelihood) followed by the
values in network byte order.  Both are read and written here without loss:
floats are printed with repr(), the shortest text that reads back to the
same double.
"""
import json
import math
import struct
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["GaussianMixtureModel", "COVARIANCE_TYPES", "covariance_shape"]

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")

# binary form (gmm.h): format version, covariance type codes, flags
_BINARY_VERSION = 1
_FLAG_FITTED = 0x0001
_FLAG_CONVERGED = 0x0002
_HEADER = struct.Struct("!BBHiiidd")

_JSON_KEYS = {"covariance_type", "n_components", "dimension", "weights",
              "means", "covariances", "fit"}
_FIT_KEYS = ("n_rows", "log_likelihood", "n_iter", "converged")


def covariance_shape(covariance_type, k, d):
    """The shape of the covariances of a model (scikit-learn's convention)."""
    if covariance_type == "full":
        return (k, d, d)
    if covariance_type == "diag":
        return (k, d)
    if covariance_type == "spherical":
        return (k,)
    if covariance_type == "tied":
        return (d, d)
    raise ValueError(
        "covariance_type must be one of %s, not %r"
        % (", ".join(COVARIANCE_TYPES), covariance_type))


def _float_array(value, what):
    """value as a float64 array, or a TypeError naming what it was for."""
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError("%s must be an array of numbers: %s" % (what, e)) from None
    return a


@dataclass(eq=False)
class GaussianMixtureModel:
    """A Gaussian mixture model as stored in a PostgreSQL gmm value.

    covariance_type  "full", "diag", "spherical" or "tied"
    weights          float64 array (k,)
    means            float64 array (k, d)
    covariances      float64 array, (k, d, d) full, (k, d) diag, (k,)
                     spherical, (d, d) tied (scikit-learn's shapes)
    n_rows, log_likelihood, n_iter, converged
                     fit metadata (rows or total weight the fit saw, mean
                     log-likelihood per row, EM iterations, whether the fit
                     met its tolerance); all None for a model that was built
                     rather than fitted.

    The shapes are checked on construction (ValueError); that the weights
    sum to 1 and the covariances are positive definite is checked by the
    server when the model is sent.
    """
    covariance_type: str
    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    n_rows: Optional[float] = None
    log_likelihood: Optional[float] = None
    n_iter: Optional[int] = None
    converged: Optional[bool] = None

    def __post_init__(self):
        if not isinstance(self.covariance_type, str):
            raise TypeError("covariance_type must be a string such as 'full', not %r"
                            % (self.covariance_type,))
        self.weights = _float_array(self.weights, "weights")
        self.means = _float_array(self.means, "means")
        self.covariances = _float_array(self.covariances, "covariances")
        if self.weights.ndim != 1 or self.weights.size == 0:
            raise ValueError("weights must be a non-empty 1-D array (k,), got shape %s"
                             % (self.weights.shape,))
        k = self.weights.shape[0]
        if self.means.ndim != 2 or self.means.shape[0] != k or self.means.shape[1] == 0:
            raise ValueError("means must have shape (k, d) = (%d, d) with d >= 1 for %d weights, "
                             "got shape %s" % (k, k, self.means.shape))
        d = self.means.shape[1]
        want = covariance_shape(self.covariance_type, k, d)
        if self.covariances.shape != want:
            raise ValueError("%s covariances of a model with k=%d, d=%d must have shape %s, got %s"
                             % (self.covariance_type, k, d, want, self.covariances.shape))
        for name in ("weights", "means", "covariances"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError("%s must be finite (no NaN or infinity)" % name)
        if self.n_rows is not None:
            self.n_rows = float(self.n_rows)
        if self.log_likelihood is not None:
            self.log_likelihood = float(self.log_likelihood)
        if self.n_iter is not None:
            self.n_iter = int(self.n_iter)
        if self.converged is not None:
            self.converged = bool(self.converged)

    # ------------------------------------------------------------------
    # shape
    @property
    def n_components(self):
        """Number of components k."""
        return self.weights.shape[0]

    @property
    def dimension(self):
        """Dimension d of the points."""
        return self.means.shape[1]

    @property
    def fitted(self):
        """True when the fit metadata is known (all four fields set)."""
        return None not in (self.n_rows, self.log_likelihood, self.n_iter, self.converged)

    def full_covariances(self):
        """The covariances expanded to (k, d, d) whatever the type."""
        k, d = self.n_components, self.dimension
        c = self.covariances
        if self.covariance_type == "full":
            return c.copy()
        if self.covariance_type == "diag":
            return np.stack([np.diag(c[j]) for j in range(k)])
        if self.covariance_type == "spherical":
            return c[:, None, None] * np.eye(d)[None, :, :]
        return np.broadcast_to(c, (k, d, d)).copy()

    # ------------------------------------------------------------------
    # text (JSON) form
    @classmethod
    def from_json(cls, text):
        """A model from the text form of a gmm value (a JSON object)."""
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = bytes(text).decode("utf-8")
        if not isinstance(text, str):
            raise TypeError("the text form of a gmm must be a str, not %s" % type(text).__name__)
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise ValueError("not the text form of a gmm (invalid JSON: %s)" % e) from None
        return cls.from_dict(obj)

    @classmethod
    def from_dict(cls, obj):
        """A model from the parsed JSON object of a gmm value."""
        if not isinstance(obj, dict):
            raise ValueError("not the text form of a gmm: a JSON object is expected, got %s"
                             % type(obj).__name__)
        unknown = set(obj) - _JSON_KEYS
        if unknown:
            raise ValueError("not the text form of a gmm: unknown key %r" % sorted(unknown)[0])
        for key in ("covariance_type", "weights", "means", "covariances"):
            if key not in obj:
                raise ValueError("not the text form of a gmm: missing key %r" % key)
        fit = obj.get("fit")
        kw = {}
        if fit is not None:
            if not isinstance(fit, dict) or set(fit) != set(_FIT_KEYS):
                raise ValueError("not the text form of a gmm: \"fit\" must be an object with keys %s"
                                 % ", ".join(_FIT_KEYS))
            kw = {key: fit[key] for key in _FIT_KEYS}
        m = cls(obj["covariance_type"], obj["weights"], obj["means"], obj["covariances"], **kw)
        for key, have in (("n_components", m.n_components), ("dimension", m.dimension)):
            if key in obj and obj[key] != have:
                raise ValueError("not the text form of a gmm: %r is %r but the arrays give %d"
                                 % (key, obj[key], have))
        return m

    def to_dict(self):
        """The JSON object of the gmm text form (lists of Python floats)."""
        out = {
            "covariance_type": self.covariance_type,
            "n_components": self.n_components,
            "dimension": self.dimension,
            "weights": self.weights.tolist(),
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
        }
        if self.fitted:
            out["fit"] = {"n_rows": self.n_rows, "log_likelihood": self.log_likelihood,
                          "n_iter": self.n_iter, "converged": self.converged}
        return out

    def to_json(self):
        """The text form of the gmm value.  Python's json module prints floats
        with repr(), so the server reads back exactly the same doubles."""
        for name in ("n_rows", "log_likelihood"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError("%s must be finite to be sent as a gmm, not %r" % (name, v))
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    def __str__(self):
        return self.to_json()

    # ------------------------------------------------------------------
    # binary form (gmm_send / gmm_recv)
    @classmethod
    def from_binary(cls, data):
        """A model from the binary form of a gmm value (gmm_send)."""
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise ValueError("binary gmm value too short (%d bytes)" % len(data))
        version, ct, flags, k, d, n_iter, n_rows, ll = _HEADER.unpack_from(data)
        if version != _BINARY_VERSION:
            raise ValueError("unsupported gmm binary format version %d" % version)
        if not 0 <= ct < len(COVARIANCE_TYPES):
            raise ValueError("invalid gmm covariance type code %d" % ct)
        ctype = COVARIANCE_TYPES[ct]
        cshape = covariance_shape(ctype, k, d)
        n = k + k * d + int(np.prod(cshape))
        if len(data) != _HEADER.size + 8 * n:
            raise ValueError("binary gmm value has %d bytes where %d were expected"
                             % (len(data), _HEADER.size + 8 * n))
        v = np.frombuffer(data, dtype=">f8", offset=_HEADER.size).astype(np.float64)
        kw = {}
        if flags & _FLAG_FITTED:
            kw = dict(n_rows=n_rows, log_likelihood=ll, n_iter=n_iter,
                      converged=bool(flags & _FLAG_CONVERGED))
        return cls(ctype, v[:k], v[k:k + k * d].reshape(k, d), v[k + k * d:].reshape(cshape), **kw)

    def to_binary(self):
        """The binary form of the gmm value (what gmm_recv reads)."""
        self.to_json()     # the same finiteness checks
        fitted = self.fitted
        flags = (_FLAG_FITTED | (_FLAG_CONVERGED if self.converged else 0)) if fitted else 0
        head = _HEADER.pack(_BINARY_VERSION, COVARIANCE_TYPES.index(self.covariance_type), flags,
                            self.n_components, self.dimension,
                            self.n_iter if fitted else 0,
                            self.n_rows if fitted else 0.0,
                            self.log_likelihood if fitted else 0.0)
        values = np.concatenate([self.weights.ravel(), self.means.ravel(), self.covariances.ravel()])
        return head + values.astype(">f8").tobytes()

    # ------------------------------------------------------------------
    def same_as(self, other):
        """True when other holds exactly the same numbers and metadata."""
        if not isinstance(other, GaussianMixtureModel):
            return False
        return (self.covariance_type == other.covariance_type
                and all(np.array_equal(getattr(self, a), getattr(other, a))
                        for a in ("weights", "means", "covariances"))
                and (self.n_rows, self.log_likelihood, self.n_iter, self.converged)
                == (other.n_rows, other.log_likelihood, other.n_iter, other.converged))

    __eq__ = same_as
    __hash__ = None

    def __repr__(self):
        fit = ""
        if self.fitted:
            fit = ", n_rows=%r, log_likelihood=%r, n_iter=%r, converged=%r" % (
                self.n_rows, self.log_likelihood, self.n_iter, self.converged)
        return "GaussianMixtureModel(covariance_type=%r, k=%d, d=%d%s)" % (
            self.covariance_type, self.n_components, self.dimension, fit)
