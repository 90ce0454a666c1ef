#!/usr/bin/python3
"""The Python module python/gmm_pg against the server and scikit-learn.

For psycopg2 and psycopg 3 (text and binary results), for every covariance
type (full, diag, spherical, tied):
1. points sent as numpy arrays arrive bit for bit; a gmm column arrives as a
   GaussianMixtureModel that, sent back as a parameter, equals the server's
   value bit for bit (gmm's = operator);
2. gmm_fit in SQL -> to_sklearn: score_samples, predict, predict_proba and
   bic(X) agree with gmm_logpdf, gmm_predict, gmm_predict_proba per row and
   the gmm_bic aggregate to 1e-12 (relative); the fit metadata carries over;
3. a GaussianMixture fitted by scikit-learn -> from_sklearn -> SQL gives the
   same scores, predictions and BIC, the same covariances (gmm_covariances),
   and to_sklearn gives back the same precisions_cholesky_;
then gmm[] and NULL results, clear Python errors for bad inputs, plot() for
d = 1, 2, 3, and examples/plot_clusters.py writing a non-empty PNG.

Connection from the PG* environment variables; exit 0 = pass.
"""
import io
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))

import numpy as np                              # noqa: E402
import psycopg                                  # noqa: E402
import psycopg2                                 # noqa: E402
from sklearn.mixture import GaussianMixture     # noqa: E402

import gmm_pg                                   # noqa: E402
from gmm_pg import GaussianMixtureModel         # noqa: E402

RTOL = 1e-12
COV_TYPES = ["full", "diag", "spherical", "tied"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def close(got, want, what, rtol=RTOL):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        check(False, "%s: shape %s, expected %s" % (what, got.shape, want.shape))
        return
    err = np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) if want.size else 0.0
    check(err <= rtol, "%s: relative difference %.3g > %g" % (what, err, rtol))


def raises(exc, fragment, func, *args, **kw):
    """func(*args) raises exc with fragment in its message."""
    try:
        func(*args, **kw)
    except exc as e:
        check(fragment in str(e), "%s raised %s without %r: %s"
              % (getattr(func, "__name__", func), exc.__name__, fragment, e))
        return
    except Exception as e:  # noqa: BLE001
        check(False, "%s raised %s (%s), expected %s"
              % (getattr(func, "__name__", func), type(e).__name__, e, exc.__name__))
        return
    check(False, "%s did not raise %s" % (getattr(func, "__name__", func), exc.__name__))


def make_points(seed=11, n=360, d=3):
    """Three overlapping 3-D clusters (overlap so predict_proba is not 0/1)."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0, 0.0], [3.0, 1.0, -1.0], [-1.0, 3.5, 1.5]])[:, :d]
    parts = []
    for j, c in enumerate((150, 120, 90)):
        a = rng.normal(size=(d, d)) * 0.5
        parts.append(rng.multivariate_normal(means[j], np.eye(d) + a @ a.T, size=c))
    X = np.vstack(parts)[:n]
    rng.shuffle(X)
    return X


def fetchall(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def compare_with_sql(cur, label, model, gm, X, table):
    """The per-row scores of model in SQL agree with gm's on X."""
    rows = fetchall(cur, "SELECT gmm_logpdf(%s, x), gmm_predict(%s, x), gmm_predict_proba(%s, x) "
                         "FROM " + table + " ORDER BY id", (model, model, model))
    close([r[0] for r in rows], gm.score_samples(X), label + ": score_samples vs gmm_logpdf")
    pred = np.array([r[1] for r in rows]) - 1
    check(np.array_equal(pred, gm.predict(X)), label + ": predict vs gmm_predict - 1")
    close([r[2] for r in rows], gm.predict_proba(X), label + ": predict_proba vs gmm_predict_proba")
    bic = fetchall(cur, "SELECT gmm_bic(%s, x), gmm_aic(%s, x) FROM " + table, (model, model))[0]
    close(bic[0], gm.bic(X), label + ": bic(X) vs gmm_bic aggregate")
    close(bic[1], gm.aic(X), label + ": aic(X) vs gmm_aic aggregate")


def run_driver(conn, name, binary=False):
    """Everything that needs a connection, for one driver."""
    label0 = name + (" binary" if binary else "")
    gmm_pg.register(conn)
    status = (conn.get_transaction_status() if name == "psycopg2"
              else conn.info.transaction_status)
    check(status == 0, label0 + ": register() leaves no transaction open (status %s)" % status)
    cur = conn.cursor(binary=True) if binary else conn.cursor()
    table = "py_points_" + name.replace(" ", "_") + ("_b" if binary else "")
    X = make_points()
    cur.execute("DROP TABLE IF EXISTS " + table)
    cur.execute("CREATE TEMP TABLE " + table + " (id int PRIMARY KEY, x float8[])")
    cur.executemany("INSERT INTO " + table + " VALUES (%s, %s)",
                    [(i, X[i]) for i in range(len(X))])
    got = np.array([r[0] for r in fetchall(cur, "SELECT x FROM " + table + " ORDER BY id")])
    check(np.array_equal(got, X), label0 + ": numpy points arrive bit for bit")

    for ct in COV_TYPES:
        label = "%s %s" % (label0, ct)
        opts = json.dumps({"covariance_type": ct, "seed": 7})
        m = fetchall(cur, "SELECT gmm_fit(x, 3, %s::jsonb) FROM " + table, (opts,))[0][0]
        check(isinstance(m, GaussianMixtureModel), label + ": gmm arrives as GaussianMixtureModel")
        if not isinstance(m, GaussianMixtureModel):
            continue
        check(m.covariance_type == ct and m.covariances.shape
              == gmm_pg.covariance_shape(ct, 3, 3), label + ": type and covariance shape")
        # bit-exact round trips: Python -> server, text -> object -> text
        same = fetchall(cur, "SELECT %s = gmm_fit(x, 3, %s::jsonb), %s::text FROM " + table
                        + " GROUP BY ()", (m, opts, m))[0]
        check(same[0] is True, label + ": model sent back equals the server's bit for bit")
        check(GaussianMixtureModel.from_json(same[1]).same_as(m),
              label + ": text form read back equals the object")
        check(GaussianMixtureModel.from_json(m.to_json()).same_as(m), label + ": to_json/from_json")
        check(GaussianMixtureModel.from_binary(m.to_binary()).same_as(m),
              label + ": to_binary/from_binary")
        covs = fetchall(cur, "SELECT gmm_covariances(%s)", (m,))[0][0]
        check(np.array_equal(np.array(covs), m.covariances),
              label + ": covariances equal gmm_covariances(m)")

        # SQL fit -> scikit-learn
        gm = gmm_pg.to_sklearn(m)
        check(gm.converged_ == m.converged and gm.n_iter_ == m.n_iter
              and gm.lower_bound_ == m.log_likelihood and m.n_rows == len(X),
              label + ": to_sklearn fit metadata")
        check(gm.precisions_cholesky_.shape == gm.covariances_.shape,
              label + ": precisions_cholesky_ shape")
        compare_with_sql(cur, label + " gmm_fit->to_sklearn", m, gm, X, table)

        # scikit-learn fit -> SQL
        sk = GaussianMixture(3, covariance_type=ct, random_state=3).fit(X)
        mm = gmm_pg.from_sklearn(sk, n_rows=len(X))
        check(mm.converged == sk.converged_ and mm.n_iter == sk.n_iter_,
              label + ": from_sklearn fit metadata")
        compare_with_sql(cur, label + " sklearn->from_sklearn", mm, sk, X, table)
        back = fetchall(cur, "SELECT %s::gmm, gmm_covariances(%s)", (mm, mm))[0]
        check(isinstance(back[0], GaussianMixtureModel) and back[0].same_as(mm),
              label + ": from_sklearn model through the server bit for bit")
        check(np.array_equal(np.array(back[1]), sk.covariances_),
              label + ": gmm_covariances equals covariances_")
        again = gmm_pg.to_sklearn(mm)
        check(np.array_equal(again.precisions_cholesky_, sk.precisions_cholesky_)
              and np.array_equal(again.precisions_, sk.precisions_),
              label + ": to_sklearn(from_sklearn(gm)) has gm's precisions bit for bit")
        # without n_rows the fit metadata is dropped, and the model is a built one
        bare = gmm_pg.from_sklearn(sk)
        check(not bare.fitted and fetchall(cur, "SELECT gmm_converged(%s)", (bare,))[0][0] is None,
              label + ": from_sklearn without n_rows gives a built model")

    # arrays of models and NULL
    r = fetchall(cur, "SELECT ARRAY[gmm('{1}', '{0}', '{2}', 'spherical'), NULL], NULL::gmm")[0]
    check(isinstance(r[0], list) and len(r[0]) == 2 and isinstance(r[0][0], GaussianMixtureModel)
          and r[0][1] is None and r[1] is None, label0 + ": gmm[] and NULL")
    # numpy scalars and 2-D arrays as parameters
    r = fetchall(cur, "SELECT %s::float8, %s::float8[], %s::int",
                 (np.float32(0.25), np.arange(6.0).reshape(2, 3), np.int64(7)))[0]
    check(r[0] == 0.25 and r[1] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and r[2] == 7,
          label0 + ": numpy scalars and 2-D arrays")
    # bad values through the adapters
    raises(TypeError, "numeric", cur.execute, "SELECT %s::float8[]", (np.array(["a", "b"]),))
    if not binary:
        # the server's own validation of a model built in Python
        conn.rollback()
        bad = GaussianMixtureModel("spherical", [0.5, 0.6], [[0.0], [1.0]], [1.0, 1.0])
        try:
            cur.execute("SELECT %s::text", (bad,))
            check(False, label0 + ": a model with weights summing to 1.1 was accepted")
        except (psycopg2.Error, psycopg.Error) as e:
            check("weights" in str(e), label0 + ": server error names the weights: %s" % e)
        conn.rollback()
    conn.rollback()
    return m


def check_errors(model):
    """Clear Python errors for bad inputs (no connection needed)."""
    raises(TypeError, "GaussianMixtureModel", gmm_pg.to_sklearn, 42)
    raises(TypeError, "GaussianMixtureModel", gmm_pg.to_sklearn, model.to_dict())
    raises(TypeError, "GaussianMixture", gmm_pg.from_sklearn, "model")
    raises(ValueError, "not fitted", gmm_pg.from_sklearn, GaussianMixture(2))
    raises(TypeError, "GaussianMixtureModel", gmm_pg.plot, 42)
    raises(TypeError, "psycopg2 or psycopg 3 connection", gmm_pg.register, object())
    raises(ValueError, "means must have shape (k, d) = (2, d)", GaussianMixtureModel,
           "full", [0.5, 0.5], [[0.0, 0.0]], np.ones((2, 2, 2)))
    raises(ValueError, "must have shape (2, 2, 2), got (2, 2)", GaussianMixtureModel,
           "full", [0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], np.ones((2, 2)))
    raises(ValueError, "must have shape (2, 2), got (2, 2, 2)", GaussianMixtureModel,
           "tied", [0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], np.ones((2, 2, 2)))
    raises(ValueError, "must have shape (2,)", GaussianMixtureModel,
           "spherical", [0.5, 0.5], [[0.0], [1.0]], [1.0, 1.0, 1.0])
    raises(ValueError, "covariance_type must be one of", GaussianMixtureModel,
           "round", [1.0], [[0.0]], [1.0])
    raises(TypeError, "weights must be an array of numbers", GaussianMixtureModel,
           "spherical", ["a"], [[0.0]], [1.0])
    raises(ValueError, "finite", GaussianMixtureModel, "spherical", [1.0], [[np.nan]], [1.0])
    raises(ValueError, "missing key 'covariances'", GaussianMixtureModel.from_json,
           '{"covariance_type":"spherical","weights":[1],"means":[[0]]}')
    raises(ValueError, "invalid JSON", GaussianMixtureModel.from_json, "{oops")
    raises(ValueError, "a JSON object is expected", GaussianMixtureModel.from_json, "[1]")
    raises(ValueError, "unknown key", GaussianMixtureModel.from_json,
           '{"covariance_type":"spherical","weights":[1],"means":[[0]],"covariances":[1],"x":1}')
    raises(ValueError, "binary format version", GaussianMixtureModel.from_binary, b"\x07" + bytes(40))
    notpd = GaussianMixtureModel("spherical", [1.0], [[0.0]], [-1.0])
    raises(ValueError, "not positive definite", gmm_pg.to_sklearn, notpd)
    raises(ValueError, "points must have shape (n, 3)", gmm_pg.plot, model, np.zeros((4, 2)))
    raises(ValueError, "dims must be two different dimensions", gmm_pg.plot, model,
           None, None, (0, 5))


def check_plots(model):
    """plot() draws into a given Axes for d = 3 (dims 0, 2), 2 and 1."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = make_points()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    ax = gmm_pg.plot(model, X, ax=axes[0], dims=(0, 2))
    check(ax is axes[0] and len(ax.patches) == 2 * model.n_components,
          "plot: two ellipses per component on the given Axes")
    check(sum(len(c.get_offsets()) for c in ax.collections) == len(X),
          "plot: every point drawn once")
    m2 = GaussianMixtureModel("tied", [0.4, 0.6], [[0.0, 0.0], [3.0, 1.0]], [[1.0, 0.5], [0.5, 2.0]])
    gmm_pg.plot(m2, ax=axes[1])
    m1 = GaussianMixtureModel("diag", [0.3, 0.7], [[0.0], [4.0]], [[1.0], [0.5]])
    rng = np.random.default_rng(1)
    gmm_pg.plot(m1, np.concatenate([rng.normal(0, 1, 60), rng.normal(4, 0.7, 140)]), ax=axes[2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    check(buf.getvalue()[:8] == PNG_MAGIC and len(buf.getvalue()) > 5000, "plot: a PNG is written")
    # predict() in numpy agrees with scikit-learn's
    check(np.array_equal(gmm_pg.predict(model, X), gmm_pg.to_sklearn(model).predict(X)),
          "predict() equals to_sklearn(model).predict()")


def check_example():
    """examples/plot_clusters.py writes a non-empty PNG."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "clusters.png")
        p = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "examples", "plot_clusters.py"), out],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, "examples/plot_clusters.py exit status %d: %s"
              % (p.returncode, p.stderr[-2000:]))
        data = open(out, "rb").read() if os.path.exists(out) else b""
        check(data[:8] == PNG_MAGIC, "examples/plot_clusters.py: the file starts with the PNG magic")
        # IHDR: width and height, big endian, at bytes 16..24
        w = int.from_bytes(data[16:20], "big") if len(data) >= 24 else 0
        h = int.from_bytes(data[20:24], "big") if len(data) >= 24 else 0
        check(len(data) > 10000 and w >= 300 and h >= 200,
              "examples/plot_clusters.py: a real picture (%d bytes, %dx%d)" % (len(data), w, h))


def check_no_extension():
    """register() on a database without gmm raises GmmTypeNotFound."""
    db = "gmm_check_python_noext"
    admin = psycopg2.connect("")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS " + db)
        cur.execute("CREATE DATABASE " + db)
    try:
        conn = psycopg2.connect(dbname=db)
        raises(gmm_pg.GmmTypeNotFound, "CREATE EXTENSION gmm", gmm_pg.register, conn)
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS " + db)
        admin.close()


def main():
    setup = psycopg2.connect("")
    setup.autocommit = True
    setup.cursor().execute("CREATE EXTENSION IF NOT EXISTS gmm")
    setup.close()

    c2 = psycopg2.connect("")
    model = run_driver(c2, "psycopg2")
    c2.close()
    c3 = psycopg.connect("")
    run_driver(c3, "psycopg")
    run_driver(c3, "psycopg", binary=True)
    # psycopg 3: force the text and the binary dumper of a model
    gmm_fit_tied = c3.execute("SELECT gmm('{0.4,0.6}', '{{0,0},{3,1}}', '{{1,0.5},{0.5,2}}', 'tied')"
                              ).fetchone()[0]
    r = c3.execute("SELECT %t = %b, %b::text", (gmm_fit_tied, gmm_fit_tied, gmm_fit_tied)).fetchone()
    check(r[0] is True and GaussianMixtureModel.from_json(r[1]).same_as(gmm_fit_tied),
          "psycopg: text and binary dumpers send the same value")
    c3.close()

    check_errors(model)
    check_plots(model)
    check_example()
    check_no_extension()

    if failures:
        print("%d of %d checks failed" % (len(failures), checks))
        return 1
    print("all %d checks passed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
