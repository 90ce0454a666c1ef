"""scikit-learn side of the gmm benchmark (run by bench.py in its own process).

    sk_side.py fit DIR CASE TYPE K ITERS REPS
    sk_side.py predict DIR CASE REPS

Reads DIR/CASE.npy (the rows) and DIR/CASE.init.npz (the start: weights,
means, covariances), so that it sees exactly the rows and start the other
sides see.  fit: for each repetition, GaussianMixture.fit with max_iter 1 and
max_iter ITERS + 1 (tol 0, n_init 1, the given start); predict: predict() of
the model in DIR/CASE.model.npz.  Prints one JSON object on stdout.

bench.py starts it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from
the environment, so that numpy's OpenBLAS picks its best kernel; the kernel
it runs is reported (threadpoolctl).
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

try:
    from threadpoolctl import threadpool_info
except ImportError:  # reported as unknown
    threadpool_info = None


def blas_info():
    """The BLAS numpy runs: library, kernel architecture, threads."""
    if threadpool_info is None:
        return "unknown"
    parts = []
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            parts.append("%s %s %s, %s threads" % (
                lib.get("internal_api"), lib.get("version"),
                lib.get("architecture"), lib.get("num_threads")))
    return "; ".join(parts) or "unknown"


def precisions(cov_type, cov):
    """scikit-learn's precisions_init from covariances."""
    if cov_type == "full":
        return np.array([np.linalg.inv(c) for c in cov])
    return 1.0 / cov


def make(cov_type, k, iters, init):
    return GaussianMixture(
        n_components=k, covariance_type=cov_type, tol=0.0, max_iter=iters,
        n_init=1, reg_covar=1e-6, init_params="random", random_state=0,
        weights_init=init["weights"], means_init=init["means"],
        precisions_init=precisions(cov_type, init["covariances"]))


def fit(directory, case, cov_type, k, iters, reps):
    X = np.load("%s/%s.npy" % (directory, case))
    init = np.load("%s/%s.init.npz" % (directory, case))
    runs = []
    for _ in range(reps):
        for n in (1, iters + 1):
            gm = make(cov_type, k, n, init)
            t0 = time.perf_counter()
            gm.fit(X)
            t = time.perf_counter() - t0
            runs.append({"iters": n, "n_iter": int(gm.n_iter_), "seconds": t,
                         "lower_bound": float(gm.lower_bound_)})
    # mean log-likelihood of the final model, comparable with gmm's
    score = float(gm.score(X))
    return {"runs": runs, "score": score, "blas": blas_info()}


def predict(directory, case, reps):
    X = np.load("%s/%s.npy" % (directory, case))
    m = np.load("%s/%s.model.npz" % (directory, case))
    cov_type = str(m["cov_type"])
    k = len(m["weights"])
    gm = GaussianMixture(n_components=k, covariance_type=cov_type)
    gm.weights_ = m["weights"]
    gm.means_ = m["means"]
    gm.covariances_ = m["covariances"]
    if cov_type == "full":
        gm.precisions_cholesky_ = np.array(
            [np.linalg.inv(np.linalg.cholesky(c)).T for c in m["covariances"]])
    else:
        gm.precisions_cholesky_ = 1.0 / np.sqrt(m["covariances"])
    times = []
    labels = None
    for _ in range(reps):
        t0 = time.perf_counter()
        labels = gm.predict(X)
        times.append(time.perf_counter() - t0)
    return {"seconds": times, "label_sum": int(labels.sum() + len(labels)),
            "blas": blas_info()}


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    what = sys.argv[1]
    if what == "fit":
        d, case, cov_type, k, iters, reps = sys.argv[2:8]
        out = fit(d, case, cov_type, int(k), int(iters), int(reps))
    elif what == "predict":
        d, case, reps = sys.argv[2:5]
        out = predict(d, case, int(reps))
    else:
        raise SystemExit("usage: sk_side.py fit|predict ...")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
