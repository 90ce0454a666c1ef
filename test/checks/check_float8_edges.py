#!/usr/bin/python3
"""Float8-edge test: scoring and inference at the ends of float8's range.

Models of every covariance type (d = 2, k = 3) whose means, variances and
weights sit at the edges of float8 (means and points at 1e+-300, denormals
such as 4.9e-324, weight-0 components, variances of 1e-300 and 1e300, a
denormal variance) are scored at extreme points, and every answer is
compared with a reference computed exactly (mpmath, 2400 bits: enough for differences of
squared distances of 1e900 that matter at 1e-300):

  gmm_logpdf, gmm_pdf, gmm_component_logpdf, gmm_component_pdf: no NaN;
      finite and within 1e-9 (relative) where the exact value is inside
      float8's range, +-inf or the extreme float only where it is not;
  gmm_predict: the component of the largest exact posterior (for equal
      weights and covariances the nearest in Mahalanobis distance);
  gmm_predict_proba: sums to 1 within 1e-12 and is within 1e-9 of exact;
  gmm_score / gmm_bic / gmm_aic aggregates: agree with the exact values;
  gmm_condition / gmm_regress / gmm_impute: conditional weights and means
      within 1e-9 of exact, never NaN;
  gmm_in_confidence_region: as the exact minimum Mahalanobis distance;
  gmm_divergence (KL and Bhattacharyya): no NaN, within 1e-6 where finite;
  gmm_ellipses: semi-axes within 1e-9 of the exact ones, no NaN;
  gmm_stats_agg and gmm_em_step over extreme rows: either a clean error
      (SQLSTATE class 22) or a value that reads back unchanged through its
      text form and through COPY BINARY.

Exit status 0 means everything agreed.  Connection from PG* variables.
"""
import io
import math
import sys

import mpmath
import psycopg2
from mpmath import mp, mpf
from scipy.stats import chi2

mp.prec = 2400
DBL_MAX = sys.float_info.max
failures = []
checks = 0
TYPES = ["full", "diag", "spherical", "tied"]


def fail(msg):
    failures.append(msg)


def lit(v):
    """A float8[] literal with every float exact (repr)."""
    return "'{" + ",".join(repr(float(x)) for x in v) + "}'::float8[]"


# ---------------------------------------------------------------- models
# (name, weights, means, variance scales, correlation): covariance j is
# scale_j * [[1, rho], [rho, 1]] (full; tied uses component 1's), the
# diagonal for diag and scale_j for spherical.
SCENARIOS = [
    ("tiny", [0.5, 0.25, 0.25], [[0, 0], [1, 1], [1e-300, -1e-300]],
     [1e-300, 1e-300, 1e-300], 0.5),
    ("huge", [0.4, 0.3, 0.3], [[0, 0], [1e300, 1e300], [-1e300, 5e299]],
     [1e300, 1e300, 1e300], 0.5),
    ("mixed", [0.2, 0.3, 0.5], [[0, 0], [1, 0], [0, 1]],
     [1e-300, 1.0, 1e300], 0.25),
    ("weight0", [1.0, 0.0, 0.0], [[0, 0], [1e300, 0], [-1e300, 0]],
     [1.0, 1e-300, 1e-300], 0.0),
    ("denormal", [0.3, 0.3, 0.4], [[5e-324, 0], [0, -5e-324], [1, 1]],
     [5e-324, 1e-310, 1.0], 0.0),
    ("equalfar", [1 / 3, 1 / 3, 1 / 3], [[0, 0], [1, 0], [0, 1]],
     [1.0, 1.0, 1.0], 0.5),
]

POINTS = [[0, 0], [1, 1], [1e-300, -1e-300], [5e-324, 5e-324],
          [1e300, 1e300], [-1e300, 1e300], [1e154, -1e154], [1e200, 1e200],
          [0.5, 1e200], [-3e200, 2e200], [1e-10, 1]]


def model_parts(cov_type, w, mu, sc, rho):
    """The gmm(...) arguments and the exact covariance matrices."""
    covs = []
    for j in range(len(w)):
        s = sc[0] if cov_type == "tied" else sc[j]
        r = rho if cov_type in ("full", "tied") else 0.0
        off = s * r
        covs.append([[s, off], [off, s]])
    if cov_type == "full":
        cv = [x for c in covs for row in c for x in row]
    elif cov_type == "tied":
        cv = [x for row in covs[0] for x in row]
    elif cov_type == "diag":
        cv = [c[i][i] for c in covs for i in range(2)]
    else:
        cv = [c[0][0] for c in covs]
    # exact matrices from the floats actually stored
    exact = []
    for c in covs:
        exact.append(mpmath.matrix([[mpf(c[0][0]), mpf(c[0][1])],
                                    [mpf(c[1][0]), mpf(c[1][1])]]))
    sql = "gmm(%s, %s, %s, '%s')" % (lit(w), lit([x for m in mu for x in m]),
                                     lit(cv), cov_type)
    return sql, exact


def exact_lp(w, mu, covs, x):
    """Exact weighted log densities (None for weight 0) and Mahalanobis q."""
    out, qs = [], []
    for j in range(len(w)):
        S = covs[j]
        dx = inv_chol(S) * mpmath.matrix([mpf(x[0]) - mpf(mu[j][0]), mpf(x[1]) - mpf(mu[j][1])])
        q = mnorm(dx) ** 2
        qs.append(q)
        if w[j] == 0:
            out.append(None)
            continue
        out.append(mpmath.log(mpf(w[j])) - mpmath.log(2 * mpmath.pi)
                   - mpmath.log(mpmath.det(S)) / 2 - q / 2)
    return out, qs


def sexp(v):
    """exp(v), with 0 and inf beyond float8's range (mpmath's exp of -1e900
    is exact but slow, and such values only matter as 0 or inf here)."""
    if v < -1000:
        return mpf(0)
    if v > 1000:
        return mpmath.inf
    return mpmath.exp(v)


def mnorm(v):
    return mpmath.sqrt(sum(abs(t) ** 2 for t in v))


def pair_scale(Sb, Sj, mb, mj, x):
    """The size of the terms whose difference decides between components b
    and j at x: a tolerance of 1e-12 of it is what float8 inputs allow.  For
    equal covariances the difference is (mb - mj)' S^-1 (2x - mj - mb),
    rounded at |L^-1 (mb - mj)| (plus the rounding of mb - mj) times
    |L^-1 2x| + |L^-1 (mj + mb)|; otherwise |z_j|^2 + |z_b|^2."""
    n = len(x)
    if Sb == Sj:
        Li = inv_chol(Sb)
        dm = mpmath.matrix([mpf(mb[i]) - mpf(mj[i]) for i in range(n)])
        xx = mpmath.matrix([2 * mpf(x[i]) for i in range(n)])
        sm = mpmath.matrix([mpf(mb[i]) + mpf(mj[i]) for i in range(n)])
        lin = mpmath.mnorm(Li, "f")
        big = max(abs(mpf(t)) for t in list(mb) + list(mj))
        return (mnorm(Li * dm) + mpf(2) ** -60 * lin * big) * \
            (mnorm(Li * xx) + mnorm(Li * sm))
    q = mpf(0)
    for S, m in ((Sb, mb), (Sj, mj)):
        dx = inv_chol(S) * mpmath.matrix([mpf(x[i]) - mpf(m[i]) for i in range(n)])
        q += mnorm(dx) ** 2
    return q


_inv_chol = {}


def inv_chol(S):
    """L^-1 for S = L L' (cached)."""
    key = tuple(S[i, j] for i in range(S.rows) for j in range(S.cols))
    if key not in _inv_chol:
        _inv_chol[key] = mpmath.inverse(mpmath.cholesky(S))
    return _inv_chol[key]


def check_posterior(name, got, lp, tol, pred=None):
    """got: responsibilities (or None) and/or a 1-based prediction, against
    the exact log densities lp (None for weight 0) with per-component
    tolerances tol (on lp_j - lp_best)."""
    global checks
    ll = lse(lp)
    post = [mpf(0) if v is None else sexp(v - ll) for v in lp]
    b = max((j for j in range(len(lp)) if lp[j] is not None), key=lambda j: lp[j])
    fmt = [mpmath.nstr(p, 10) for p in post]
    if pred is not None:
        checks += 1
        j = pred - 1
        if lp[j] is None or lp[b] - lp[j] > tol[j]:
            fail(f"gmm_predict {name}: {pred}, exact posterior {fmt}")
    if got is None:
        return
    checks += 2
    if any(math.isnan(g) for g in got):
        fail(f"{name}: NaN in {got}")
        return
    if abs(math.fsum(got) - 1.0) > 1e-12:
        fail(f"{name}: sums to {math.fsum(got)!r}")
    if max((tol[j] for j in range(len(lp)) if lp[j] is not None and j != b), default=0) < 1e-10:
        if max(abs(mpf(g) - p) for g, p in zip(got, post)) > 1e-9:
            fail(f"{name}: {got}, exact {fmt}")
    else:
        # ill-conditioned in float8: only components within tolerance of the
        # best may carry weight
        for j in range(len(lp)):
            bound = 0 if lp[j] is None else sexp(min(0, lp[j] - lp[b] + tol[j]))
            if got[j] > bound + 1e-9:
                fail(f"{name}: {got}, exact {fmt} (component {j + 1} too heavy)")
                break


def lse(vals):
    vals = [v for v in vals if v is not None]
    m = max(vals)
    return m + mpmath.log(sum(sexp(v - m) for v in vals))


def close_log(name, got, ref, rtol=1e-9):
    """A log value: finite and close where ref fits float8, else -inf-ish."""
    global checks
    checks += 1
    if got is None or (isinstance(got, float) and math.isnan(got)):
        fail(f"{name}: got {got}, exact {mpmath.nstr(ref, 12)}")
        return
    if ref is None:
        if got != -math.inf:
            fail(f"{name}: weight-0 component gives {got}, not -Infinity")
        return
    if abs(ref) > DBL_MAX:
        if not (math.isinf(got) or abs(got) >= 1e307) or (got > 0) != (ref > 0):
            fail(f"{name}: got {got}, exact {mpmath.nstr(ref, 12)} (beyond float8)")
        return
    if math.isinf(got) or abs(mpf(got) - ref) > rtol * max(1, abs(ref)):
        fail(f"{name}: got {got!r}, exact {mpmath.nstr(ref, 17)}")


def close_exp(name, got, ref, rtol=1e-8):
    """exp(ref): within rtol, 0 or inf only where exp(ref) is out of range."""
    global checks
    checks += 1
    if got is None or math.isnan(got):
        fail(f"{name}: got {got}")
        return
    if ref is None:
        if got != 0.0:
            fail(f"{name}: weight-0 component gives {got}, not 0")
        return
    e = sexp(ref)
    if e > DBL_MAX:
        if not math.isinf(got):
            fail(f"{name}: got {got}, exact {mpmath.nstr(e, 6)} (beyond float8)")
        return
    if e < mpf(2.0) ** -1074:
        if got != 0.0:
            fail(f"{name}: got {got}, exact {mpmath.nstr(e, 6)} (below float8)")
        return
    tol = rtol * e + (mpf(2.0) ** -1074 if e < sys.float_info.min else 0)
    if abs(mpf(got) - e) > tol * (1 + abs(ref) * 1e-7):
        fail(f"{name}: got {got!r}, exact {mpmath.nstr(e, 17)}")


def check_scoring(cur, label, msql, w, mu, covs):
    global checks
    rows_ll = []
    for x in POINTS:
        lp, qs = exact_lp(w, mu, covs, x)
        ll = lse(lp)
        cur.execute(f"""SELECT gmm_logpdf(m, x), gmm_pdf(m, x),
                               gmm_component_logpdf(m, x), gmm_component_pdf(m, x),
                               gmm_predict(m, x), gmm_predict_proba(m, x),
                               gmm_in_confidence_region(m, x, 0.95)
                        FROM (SELECT {msql} AS m, {lit(x)} AS x) s""")
        glog, gpdf, gclog, gcpdf, gpred, gproba, gcr = cur.fetchone()
        at = f"{label} at {x}"
        close_log(f"gmm_logpdf {at}", glog, ll)
        close_exp(f"gmm_pdf {at}", gpdf, ll)
        for j in range(len(w)):
            close_log(f"gmm_component_logpdf[{j + 1}] {at}", gclog[j], lp[j])
            close_exp(f"gmm_component_pdf[{j + 1}] {at}", gcpdf[j], lp[j])
        # exact posterior, with the tolerance float8 inputs allow
        b = max((j for j in range(len(w)) if w[j] > 0), key=lambda j: lp[j])
        tol = [pair_scale(covs[b], covs[j], mu[b], mu[j], x) * mpf(1e-12) + mpf(1e-9)
               for j in range(len(w))]
        check_posterior(f"gmm_predict_proba {at}", gproba, lp, tol, gpred)
        qmin = min(q for q, wj in zip(qs, w) if wj > 0)
        qa = mpf(chi2.ppf(0.95, 2))
        if abs(qmin - qa) > 1e-9 * qa and gcr != (qmin <= qa):
            fail(f"gmm_in_confidence_region {at}: {gcr}, exact min q {mpmath.nstr(qmin, 10)}")
        rows_ll.append(ll)

    # aggregates over all the points
    checks += 3
    vals = ",".join(f"({lit(x)})" for x in POINTS)
    cur.execute(f"""SELECT gmm_score(m, x), gmm_bic(m, x), gmm_aic(m, x), gmm_n_parameters(m)
                    FROM (SELECT {msql} AS m) a, (VALUES {vals}) v(x) GROUP BY m""")
    gs, gb, ga, npar = cur.fetchone()
    n = len(POINTS)
    mean = sum(rows_ll) / n
    close_log(f"gmm_score {label}", gs, mean)
    close_log(f"gmm_bic {label}", -gb if gb is not None else None,
              2 * mean * n - npar * mpmath.log(n))
    close_log(f"gmm_aic {label}", -ga if ga is not None else None, 2 * mean * n - 2 * npar)


def check_inference(cur, label, msql, w, mu, covs, cov_type):
    global checks
    # condition on dimension 1 at extreme values, and regress dimension 2
    for a in [0.0, 1e-300, 5e-324, 1e300, -1e300, 1e200, 0.5, 1e154]:
        lw, cm = [], []
        for j in range(len(w)):
            S = covs[j]
            s11 = S[0, 0]
            dq = (mpf(a) - mpf(mu[j][0])) ** 2 / s11
            lw.append(None if w[j] == 0 else
                      mpmath.log(mpf(w[j])) - mpmath.log(2 * mpmath.pi * s11) / 2 - dq / 2)
            cm.append(mpf(mu[j][1]) + S[1, 0] / s11 * (mpf(a) - mpf(mu[j][0])))
        tot = lse(lw)
        cw = [mpf(0) if v is None else sexp(v - tot) for v in lw]
        reg = sum(c * m for c, m in zip(cw, cm))
        b = max((j for j in range(len(w)) if w[j] > 0), key=lambda j: lw[j])
        tol = [pair_scale(mpmath.matrix([[covs[b][0, 0]]]), mpmath.matrix([[covs[j][0, 0]]]),
                          [mu[b][0]], [mu[j][0]], [a]) * mpf(1e-12) + mpf(1e-9)
               for j in range(len(w))]
        well = max((tol[j] for j in range(len(w)) if w[j] > 0 and j != b), default=0) < 1e-10
        cur.execute(f"""SELECT gmm_weights(gmm_condition(m, '{{1}}', {lit([a])})),
                               gmm_means(gmm_condition(m, '{{1}}', {lit([a])})),
                               gmm_regress(m, '{{1}}', {lit([a])}),
                               gmm_impute(m, ARRAY[{a!r}::float8, NULL])
                        FROM (SELECT {msql} AS m) s""")
        gw, gm, greg, gimp = cur.fetchone()
        at = f"{label} given x1 = {a!r}"
        checks += 3
        flat = [v for row in gm for v in row] if gm and isinstance(gm[0], list) else gm
        if any(math.isnan(v) for v in gw + flat + greg + gimp):
            fail(f"gmm_condition/regress/impute {at}: NaN: {gw} {gm} {greg} {gimp}")
            continue
        check_posterior(f"gmm_condition weights {at}", gw, lw, tol)
        for j in range(len(w)):
            if abs(mpf(flat[j]) - cm[j]) > 1e-9 * max(1, abs(cm[j])):
                fail(f"gmm_condition mean {j + 1} {at}: {flat[j]!r}, exact {mpmath.nstr(cm[j], 17)}")
        if not well:
            # the weights are decided by rounding: the regression is the
            # mean of the weights returned
            reg = sum(mpf(g) * m for g, m in zip(gw, cm))
        scale = max([1] + [abs(c) for c in cm])
        if abs(mpf(greg[0]) - reg) > 1e-9 * scale:
            fail(f"gmm_regress {at}: {greg}, exact {mpmath.nstr(reg, 17)}")
        if gimp[0] != a or abs(mpf(gimp[1]) - reg) > 1e-9 * scale:
            fail(f"gmm_impute {at}: {gimp}, exact {mpmath.nstr(reg, 17)}")

    # divergences between components
    for method in ("kl", "bhattacharyya"):
        cur.execute(f"SELECT gmm_divergence({msql}, '{method}')")
        g = cur.fetchone()[0]
        for i in range(len(w)):
            for j in range(len(w)):
                checks += 1
                Si, Sj = covs[i], covs[j]
                D = mpmath.matrix([mpf(mu[i][0]) - mpf(mu[j][0]), mpf(mu[i][1]) - mpf(mu[j][1])])
                if i == j:
                    ref = mpf(0)
                elif method == "kl":
                    Ii, Ij = mpmath.inverse(Si), mpmath.inverse(Sj)
                    tr = sum((Ij * Si)[t, t] + (Ii * Sj)[t, t] for t in range(2))
                    ref = (tr + (D.T * (Ii + Ij) * D)[0]) / 2 - 2
                else:
                    S = (Si + Sj) / 2
                    ref = (D.T * mpmath.inverse(S) * D)[0] / 8 + \
                        (mpmath.log(mpmath.det(S)) - (mpmath.log(mpmath.det(Si)) + mpmath.log(mpmath.det(Sj))) / 2) / 2
                got = g[i][j]
                name = f"gmm_divergence {method} [{i + 1}][{j + 1}] {label}"
                if math.isnan(got):
                    fail(f"{name}: NaN, exact {mpmath.nstr(ref, 12)}")
                elif ref > DBL_MAX:
                    if got < 1e307:
                        fail(f"{name}: {got}, exact {mpmath.nstr(ref, 12)} (beyond float8)")
                elif abs(mpf(got) - ref) > 1e-6 * max(1, abs(ref)):
                    fail(f"{name}: {got!r}, exact {mpmath.nstr(ref, 17)}")

    # ellipses: semi-axes are the square roots of the eigenvalues
    cur.execute(f"SELECT component, center, angle, semi_axes FROM gmm_ellipses({msql}) ORDER BY 1")
    for comp, center, angle, axes in cur.fetchall():
        checks += 1
        S = covs[comp - 1]
        ev = sorted(mpmath.eigsy(S)[0], reverse=True)
        want = [mpmath.sqrt(e) for e in ev]
        if any(math.isnan(v) for v in center + axes + [angle]):
            fail(f"gmm_ellipses {label} component {comp}: NaN {center} {angle} {axes}")
        elif any(abs(mpf(a) - b) > 1e-9 * b for a, b in zip(axes, want)):
            fail(f"gmm_ellipses {label} component {comp}: axes {axes}, exact "
                 f"{[mpmath.nstr(b, 12) for b in want]}")


def check_stats(conn, cur, label, msql):
    """gmm_stats_agg / gmm_em_step over extreme rows: clean error or round trip."""
    global checks
    sets = {
        "huge values": [[1e200, 1], [-1e200, 2], [3e200, 0]],
        "1e154": [[1e154, 0], [-1e154, 0], [0, 1e154]],
        "small values": [[1e-300, 5e-324], [0, 0], [1, 1]],
    }
    for sname, rows in sets.items():
        for wsql in ("", ", 1e308::float8"):
            checks += 1
            vals = ",".join(f"({lit(x)})" for x in rows)
            what = f"gmm_stats_agg {label} over {sname}{' weights 1e308' if wsql else ''}"
            try:
                cur.execute("SAVEPOINT s")
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS st (s gmm_stats)")
                cur.execute("TRUNCATE st")
                cur.execute(f"""INSERT INTO st SELECT gmm_stats_agg(m, x{wsql})
                                FROM (SELECT {msql} AS m) a, (VALUES {vals}) v(x)""")
                cur.execute("SELECT s::text, (s::text)::gmm_stats::text = s::text, "
                            "(s::jsonb)::gmm_stats::text = s::text FROM st")
                text, rt_text, rt_jsonb = cur.fetchone()
                if not (rt_text and rt_jsonb):
                    fail(f"{what}: does not read back through text/jsonb: {text[:200]}")
                buf = io.BytesIO()
                cur.copy_expert("COPY st TO STDOUT (FORMAT binary)", buf)
                buf.seek(0)
                cur.execute("TRUNCATE st")
                cur.copy_expert("COPY st FROM STDIN (FORMAT binary)", buf)
                cur.execute("SELECT s::text FROM st")
                if cur.fetchone()[0] != text:
                    fail(f"{what}: does not read back through COPY BINARY")
                cur.execute(f"""SELECT gmm_em_step(m, x{wsql})::text
                                FROM (SELECT {msql} AS m) a, (VALUES {vals}) v(x)""")
                mt = cur.fetchone()[0]
                cur.execute("SELECT %s::gmm::text = %s", (mt, mt))
                if mt is not None and not cur.fetchone()[0]:
                    fail(f"gmm_em_step {label} over {sname}: does not read back")
                cur.execute("RELEASE SAVEPOINT s")
            except psycopg2.Error as e:
                cur.execute("ROLLBACK TO SAVEPOINT s")
                if e.pgcode is None or not e.pgcode.startswith("22"):
                    fail(f"{what}: unclean error {e.pgcode}: {e.pgerror}")
                elif "NaN" in (e.pgerror or "") or "nfinit" in (e.pgerror or "").split("HINT")[0] \
                        and "sum to infinity" not in e.pgerror:
                    fail(f"{what}: error does not name the cause: {e.pgerror}")


def main():
    conn = psycopg2.connect("")
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS gmm")  # the checks may run first in a fresh database
    cur.execute("SET extra_float_digits = 3")
    for name, w, mu, sc, rho in SCENARIOS:
        for cov_type in TYPES:
            label = f"{name}/{cov_type}"
            msql, covs = model_parts(cov_type, w, mu, sc, rho)
            try:
                cur.execute("SAVEPOINT m")
                cur.execute(f"SELECT {msql}")
                cur.execute("RELEASE SAVEPOINT m")
            except psycopg2.Error as e:
                cur.execute("ROLLBACK TO SAVEPOINT m")
                fail(f"{label}: model refused: {e.pgerror}")
                continue
            check_scoring(cur, label, msql, w, mu, covs)
            check_inference(cur, label, msql, w, mu, covs, cov_type)
            check_stats(conn, cur, label, msql)
    conn.rollback()
    conn.close()
    for f in failures[:60]:
        print("FAIL", f)
    if len(failures) > 60:
        print(f"... and {len(failures) - 60} more")
    print(f"check_float8_edges: {checks} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
