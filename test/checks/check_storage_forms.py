#!/usr/bin/python3
"""Storage-form matrix: every function and aggregate that takes a point or a
model gives the same answer whatever form the argument arrives in.

Points (d = 300, 60 rows, so that a float8[] goes out of line) are read from
tables whose column is stored inline uncompressed (STORAGE PLAIN: the
reference), compressed inline (MAIN, compressible values), out of line
(EXTERNAL, and EXTENDED with incompressible values), out of line after a
real[] or numeric[] cast; and they are passed as expanded PL/pgSQL array
variables, as PL/pgSQL parameters under plan_cache_mode = force_generic_plan
(three different models through the same function: a cached model must never
answer for another), serially and in forced parallel plans.  Models are
passed as literals (reference), per-row values joined from tables stored
EXTENDED / EXTERNAL / MAIN (a large compressible full-covariance model goes
out of line compressed), scalar subqueries and PL/pgSQL parameters.  NULL
points and models: STRICT functions give NULL, aggregates skip the rows.

Serial results must be identical as text (bit for bit); parallel aggregates
add partial sums in another order, so they are compared to 1e-9 relative.
Every table's storage form is checked (pg_column_compression, TOAST size), so
the matrix cannot silently test the wrong thing.  A backend crash fails the
test (the connection is re-opened and the matrix goes on).
"""
import os
import re
import sys
import time

import numpy as np
import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from gmmtest import LogWatch, Verdict, connect  # noqa: E402

S = "gmm_storage_test"
D = 300
N = 60
V = Verdict("check_storage_forms")
watch = LogWatch()
conn = None
ncrashes = 0
MAX_CRASHES = int(os.environ.get("GMM_MAX_CRASHES", "20"))


def reconnect():
    global conn
    for _ in range(60):
        try:
            conn = connect()
            cur = conn.cursor()
            cur.execute("SET search_path = %s, public" % S)
            cur.execute("SET gmm.threads = 1")
            time.sleep(0.2)  # a connection made just before the crash restart dies with it
            cur.execute("SELECT 1")
            return
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            time.sleep(1)
    print("cannot reconnect to the server")
    sys.exit(1)


def run(sql, settings=(), label=None):
    """Run a query; returns its single value as text, 'ERROR: ...' or None
    on a crash (recorded as a failure)."""
    try:
        cur = conn.cursor()
        for s in settings:
            cur.execute(s)
        cur.execute(sql)
        r = cur.fetchone()[0]
        if settings:
            cur.execute("RESET ALL; SET search_path = %s, public; SET gmm.threads = 1" % S)
        return None if r is None else str(r)
    except psycopg2.Error as e:
        if conn.closed or isinstance(e, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            V.fail("connection lost (server crash?) on %s: %s" % (label or "", sql[:150]))
            global ncrashes
            ncrashes += 1
            if ncrashes >= MAX_CRASHES:
                print("%d crashes: stopping the matrix here" % ncrashes)
                V.finish()
            reconnect()
            return "CRASH"
        try:
            cur = conn.cursor()
            cur.execute("RESET ALL; SET search_path = %s, public; SET gmm.threads = 1" % S)
        except psycopg2.Error:
            reconnect()
        return "ERROR: " + (e.pgerror or str(e)).strip().splitlines()[0]


def exec_(sql, args=None):
    conn.cursor().execute(sql, args)


NUM = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|-?Infinity|NaN")


def close(a, b, rtol=1e-9):
    """Same text up to numbers, numbers within rtol (for parallel sums)."""
    if a is None or b is None:
        return a is b
    if NUM.sub("#", a) != NUM.sub("#", b):
        return False
    x = NUM.findall(a)
    y = NUM.findall(b)
    for p, q in zip(x, y):
        if p == q:
            continue
        try:
            fp, fq = float(p), float(q)
        except ValueError:
            return False
        if not abs(fp - fq) <= rtol * max(abs(fp), abs(fq), 1e-300) + 1e-300:
            return False
    return True


def compare(label, got, ref, exact=True):
    if got == "CRASH":
        return
    ok = got == ref or (not exact and close(got, ref))
    V.check(ok, "%s: differs from the reference\n    got: %.200s\n    ref: %.200s" % (label, got, ref))


# --------------------------------------------------------------- setup
reconnect()
exec_("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (S, S))
exec_("SET search_path = %s, public" % S)

rng = np.random.default_rng(20240909)
rand_pts = rng.normal(0.0, 1.0, size=(N, D)) + np.where(np.arange(N)[:, None] < N // 2, -1.5, 1.5)
comp_pts = np.round(rng.uniform(-2, 2, size=(N, D)) * 2) / 2  # few distinct values: compressible
weights = rng.uniform(0.5, 2.0, size=N)


def make_table(name, typ, storage, rows, pad=False):
    exec_("CREATE TABLE %s (id int, x %s, w float8%s)" % (name, typ, ", pad text" if pad else ""))
    exec_("ALTER TABLE %s ALTER x SET STORAGE %s" % (name, storage))
    if pad:
        exec_("ALTER TABLE %s ALTER pad SET STORAGE PLAIN" % name)
    cur = conn.cursor()
    for i, (x, w) in enumerate(rows):
        if pad:
            cur.execute("INSERT INTO %s VALUES (%%s, %%s::float8[]::%s, %%s, repeat('p', 1500))" % (name, typ),
                        (i, None if x is None else [None if v is None else float(v) for v in x], w))
        else:
            cur.execute("INSERT INTO %s VALUES (%%s, %%s::float8[]::%s, %%s)" % (name, typ),
                        (i, None if x is None else [None if v is None else float(v) for v in x], w))


def storage_of(name, col="x"):
    """(compressed rows, toast bytes) of a table's column"""
    cur = conn.cursor()
    cur.execute("SELECT count(*) FILTER (WHERE pg_column_compression(%s) IS NOT NULL) FROM %s" % (col, name))
    ncomp = cur.fetchone()[0]
    cur.execute("SELECT coalesce(pg_relation_size(reltoastrelid), 0) FROM pg_class WHERE oid = %s::regclass",
                (S + "." + name,))
    return ncomp, cur.fetchone()[0]


rows_rand = list(zip(rand_pts, weights))
rows_comp = list(zip(comp_pts, weights))
# point tables: name -> (reference table, expected compressed?, expected out of line?)
POINT_TABLES = {}
make_table("rand_ref", "float8[]", "PLAIN", rows_rand)
make_table("comp_ref", "float8[]", "PLAIN", rows_comp)
for form, comp, ool in (("external", False, True), ("extended", False, True)):
    make_table("rand_" + form, "float8[]", form.upper(), rows_rand)
    POINT_TABLES["rand_" + form] = ("rand_ref", comp, ool)
for form, comp, ool in (("main", True, False), ("extended", True, False), ("external", False, True)):
    make_table("comp_" + form, "float8[]", form.upper(), rows_comp)
    POINT_TABLES["comp_" + form] = ("comp_ref", comp, ool)
# casts: real[] (padded so that EXTERNAL moves it out of line) and numeric[]
real_pts = np.array(rand_pts, dtype=np.float32).astype(np.float64)
make_table("real_ref", "float8[]", "PLAIN", [(x, w) for x, w in zip(real_pts, weights)])
make_table("real_inline", "real[]", "PLAIN", rows_rand)
make_table("real_external", "real[]", "EXTERNAL", rows_rand, pad=True)
POINT_TABLES["real_inline"] = ("real_ref", False, False)
POINT_TABLES["real_external"] = ("real_ref", False, True)
make_table("numeric_external", "numeric[]", "EXTERNAL", rows_rand)
exec_("CREATE TABLE numeric_ref (id int, x float8[], w float8)")
exec_("ALTER TABLE numeric_ref ALTER x SET STORAGE PLAIN")
exec_("INSERT INTO numeric_ref SELECT id, x::float8[], w FROM numeric_external")
POINT_TABLES["numeric_external"] = ("numeric_ref", False, True)
# NULL points and weights: aggregates skip them, the answer is rand_ref's
make_table("rand_nulls", "float8[]", "EXTERNAL",
           rows_rand[:20] + [(None, 1.0), (None, None)] + rows_rand[20:] + [(None, 2.0)])
make_table("rand_nullw", "float8[]", "EXTERNAL", rows_rand[:20] + [(rand_pts[0], None)] + rows_rand[20:])

for t, (ref, comp, ool) in POINT_TABLES.items():
    ncomp, toast = storage_of(t)
    V.check((ncomp == N) == comp and (ncomp == 0) == (not comp),
            "table %s: %d of %d points compressed, expected %s" % (t, ncomp, N, "all" if comp else "none"))
    V.check((toast > 0) == ool, "table %s: TOAST size %d, expected the points %s" %
            (t, toast, "out of line" if ool else "inline"))
for t in ("rand_ref", "comp_ref", "real_ref"):
    V.check(storage_of(t) == (0, 0), "reference %s is not plain inline: %s" % (t, storage_of(t)))

# models
cur = conn.cursor()


def model_text(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchone()[0]


mu = np.vstack([rand_pts[:N // 2].mean(0), rand_pts[N // 2:].mean(0)])
var = rng.uniform(0.5, 2.0, size=(2, D))
M = {}
M["diag"] = model_text("SELECT gmm(%s, %s, %s, 'diag')::text",
                       ([0.4, 0.6], mu.tolist(), var.tolist()))
M["spherical"] = model_text("SELECT gmm(%s, %s, %s, 'spherical')::text",
                            ([0.3, 0.3, 0.4], np.vstack([mu, mu.mean(0)]).tolist(), [1.5, 0.8, 2.0]))
M["diag2"] = model_text("SELECT gmm(%s, %s, %s, 'diag')::text",
                        ([0.5, 0.5], (mu[::-1] * 0.9).tolist(), (var[::-1] * 1.1).tolist()))
# compressible: few distinct values (compressed inline in MAIN / EXTENDED)
M["comp"] = model_text("SELECT gmm(%s, %s, %s, 'diag')::text",
                       ([0.5, 0.5], np.round(mu * 2).clip(-2, 2).__truediv__(2).tolist(),
                        np.ones((2, D)).tolist()))
# large and compressible: full covariance, d = 300 (720 kB, out of line compressed)
full = np.diag(np.round(rng.uniform(1, 2, size=D) * 4) / 4)
M["full"] = model_text("SELECT gmm(%s, %s, %s, 'full')::text",
                       ([1.0], [np.round(rand_pts.mean(0) * 4).__truediv__(4).tolist()], [full.tolist()]))
# a variational fit (option "prior"), diag, for the gmm_vb_* functions and the posterior accessors
M["vb"] = model_text("SELECT gmm_fit(x, 2, '{\"covariance_type\": \"diag\", \"prior\": {}, \"max_iter\": 3, "
                     "\"seed\": 1}' ORDER BY id)::text FROM rand_ref")
# a fit with "missing": "marginalize" (its observed-data section), for the gmm_n_rows_used family
M["obs"] = model_text("SELECT gmm_fit(x, 2, '{\"covariance_type\": \"diag\", \"missing\": \"marginalize\", "
                      "\"max_iter\": 3, \"seed\": 1}' ORDER BY id)::text FROM rand_ref")
# for regression / conditioning on all 300 coordinates: d = 301
mi_mu = np.hstack([mu, np.array([[0.0], [1.0]])])
MI = model_text("SELECT gmm(%s, %s, %s, 'diag')::text",
                ([0.4, 0.6], mi_mu.tolist(), np.hstack([var, [[1.0], [2.0]]]).tolist()))
cur.execute("CREATE TABLE models (name text, m gmm)")
for name, txt in M.items():
    cur.execute("INSERT INTO models VALUES (%s, %s::gmm)", (name, txt))
cur.execute("INSERT INTO models VALUES ('mi', %s::gmm)", (MI,))
for form in ("extended", "external", "main"):
    cur.execute("CREATE TABLE models_%s (name text, m gmm)" % form)
    cur.execute("ALTER TABLE models_%s ALTER m SET STORAGE %s" % (form, form.upper()))
    cur.execute("INSERT INTO models_%s SELECT * FROM models" % form)
ncomp_full = model_text("SELECT pg_column_compression(m) FROM models_extended WHERE name = 'full'")
V.check(ncomp_full is not None, "the large full model is not compressed in models_extended")
V.check(model_text("SELECT pg_column_size(m) FROM models_extended WHERE name = 'full'") > 2100,
        "the large full model is not large enough after compression to be out of line")
V.check(storage_of("models_extended", "m")[1] > 0, "models_extended has no TOAST data")
V.check(model_text("SELECT pg_column_compression(m) FROM models_main WHERE name = 'comp'") is not None,
        "the compressible model is not compressed in models_main")
V.check(model_text("SELECT pg_column_compression(m) FROM models_external WHERE name = 'diag'") is None,
        "models_external compressed a model")

# --------------------------------------------------------------- templates
FIT_OPTS = '{"covariance_type": "diag", "seed": 3, "max_iter": 4, "tol": 0}'
TRAIN_OPTS = '{"max_iter": 3, "tol": 0}'
FIT_OPTS_MISS = '{"covariance_type": "diag", "seed": 3, "max_iter": 4, "tol": 0, "missing": "marginalize"}'
SCALAR = {  # per-row expressions of the model {m}, the inference model {mi}, point {x} and weight {w}
    "gmm_pdf": "gmm_pdf({m}, {x})",
    "gmm_logpdf": "gmm_logpdf({m}, {x})",
    "gmm_component_pdf": "gmm_component_pdf({m}, {x})",
    "gmm_component_logpdf": "gmm_component_logpdf({m}, {x})",
    "gmm_predict": "gmm_predict({m}, {x})",
    "gmm_predict_proba": "gmm_predict_proba({m}, {x})",
    "gmm_impute": "gmm_impute({m}, {x})",
    "gmm_in_confidence_region": "gmm_in_confidence_region({m}, {x}, 0.999)",
    "gmm_stats_accum": "gmm_stats_accum(NULL::gmm_stats, {m}, {x})",
    "gmm_stats_accum_w": "gmm_stats_accum(NULL::gmm_stats, {m}, {x}, {w})",
    "gmm_logpdf_observed": "gmm_logpdf_observed({m}, {x})",
    "gmm_predict_observed": "gmm_predict_observed({m}, {x})",
    "gmm_predict_proba_observed": "gmm_predict_proba_observed({m}, {x})",
    "gmm_stats_accum_miss": "gmm_stats_accum(NULL::gmm_stats, {m}, {x}, {w}, %s::jsonb)" % "'{\"missing\": \"marginalize\"}'",
    "gmm_regress": "gmm_regress({mi}, {dims}, {x})",
    "gmm_condition": "gmm_condition({mi}, {dims}, {x})",
}
AGG = {
    "gmm_score": "gmm_score({m}, {x})",
    "gmm_bic": "gmm_bic({m}, {x})",
    "gmm_aic": "gmm_aic({m}, {x})",
    "gmm_em_step": "gmm_em_step({m}, {x})",
    "gmm_em_step_w": "gmm_em_step({m}, {x}, {w})",
    "gmm_stats_agg": "gmm_stats_agg({m}, {x})",
    "gmm_stats_agg_w": "gmm_stats_agg({m}, {x}, {w})",
    "gmm_stats_merge": "gmm_stats_merge(gmm_stats_accum(NULL::gmm_stats, {m}, {x}))",
    "gmm_fit": "gmm_fit({x}, 2, '%s' ORDER BY t.id)" % FIT_OPTS,
    "gmm_fit_w": "gmm_fit_weighted({x}, {w}, 2, '%s' ORDER BY t.id)" % FIT_OPTS,
    "gmm_em_step_miss": "gmm_em_step({m}, {x}, {w}, '{\"missing\": \"marginalize\"}')",
    "gmm_stats_agg_miss": "gmm_stats_agg({m}, {x}, {w}, '{\"missing\": \"marginalize\"}')",
    "gmm_fit_miss": "gmm_fit({x}, 2, '%s' ORDER BY t.id)" % FIT_OPTS_MISS,
    "gmm_score_observed_miss": "gmm_score_observed({m}, {x})",
}
AGG["gmm_fit_prior"] = "gmm_fit({x}, 2, '%s' ORDER BY t.id)" % FIT_OPTS.replace('"tol": 0', '"prior": {}')
AGG_NO_MODEL = ("gmm_fit", "gmm_fit_w", "gmm_fit_prior", "gmm_fit_miss")
DIMS = "(SELECT array_agg(i) FROM generate_series(1, %d) i)" % D


def fill(expr, m, mi, x="t.x", w="t.w"):
    return expr.replace("{mi}", mi).replace("{m}", m).replace("{x}", x).replace("{w}", w).replace("{dims}", DIMS)


def lit(txt):
    return "'%s'::gmm" % txt


def q_scalar(expr, table, m, mi, mjoin=""):
    return "SELECT string_agg((%s)::text, ';' ORDER BY t.id) FROM %s t %s" % (fill(expr, m, mi), table, mjoin)


def q_agg(expr, table, m, mi, mjoin=""):
    return "SELECT (%s)::text FROM %s t %s" % (fill(expr, m, mi), table, mjoin)


def q_train(table, m, mjoin=""):
    if m is None:
        return "SELECT gmm_train('%s.%s', 'x', 2, '%s')::text" % (S, table, FIT_OPTS)
    return "SELECT gmm_train('%s.%s'::regclass, 'x', %s, '%s')::text FROM (SELECT 1) one %s" % (
        S, table, m, TRAIN_OPTS, mjoin)


def q_train_query(table, m):
    return "SELECT gmm_train('SELECT x FROM %s.%s', 'x', %s, '%s')::text" % (S, table, m, TRAIN_OPTS)


PARALLEL = ("SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0",
            "SET min_parallel_table_scan_size = 0", "SET max_parallel_workers_per_gather = 2",
            "SET force_parallel_mode = on")
ncases = 0


def case(label, sql, ref, exact=True, settings=()):
    global ncases
    ncases += 1
    compare(label, run(sql, settings, label), ref, exact)


# --------------------------------------------------------------- 1. point storage forms
base_m = lit(M["diag"])
mi = lit(MI)
refs = {}
for ref_t in ("rand_ref", "comp_ref", "real_ref", "numeric_ref"):
    for name, e in SCALAR.items():
        refs[(ref_t, name)] = run(q_scalar(e, ref_t, base_m, mi), (), "reference " + name)
    for name, e in AGG.items():
        refs[(ref_t, name)] = run(q_agg(e, ref_t, base_m, mi), (), "reference " + name)
    refs[(ref_t, "gmm_train_k")] = run(q_train(ref_t, None))
    refs[(ref_t, "gmm_train_m")] = run(q_train(ref_t, base_m))
    refs[(ref_t, "gmm_train_query")] = run(q_train_query(ref_t, base_m))
for key, r in refs.items():
    V.check(r is not None and not r.startswith("ERROR") and r != "CRASH" and "NaN" not in r,
            "reference %s: %s" % (key, r and r[:200]))

for t, (ref_t, _, _) in POINT_TABLES.items():
    for par in (False, True):
        settings = PARALLEL if par else ()
        tag = "%s%s" % (t, " parallel" if par else "")
        for name, e in SCALAR.items():
            case("%s %s" % (tag, name), q_scalar(e, t, base_m, mi), refs[(ref_t, name)], True, settings)
        for name, e in AGG.items():
            case("%s %s" % (tag, name), q_agg(e, t, base_m, mi), refs[(ref_t, name)],
                 not par or name in AGG_NO_MODEL, settings)
        case(tag + " gmm_train k", q_train(t, None), refs[(ref_t, "gmm_train_k")], not par, settings)
        case(tag + " gmm_train m", q_train(t, base_m), refs[(ref_t, "gmm_train_m")], not par, settings)
        case(tag + " gmm_train query", q_train_query(t, base_m), refs[(ref_t, "gmm_train_query")],
             not par, settings)

# NULL points / weights: the aggregates skip those rows (rand_nulls holds rand_ref's rows in the
# same order, with rows of NULL point or NULL weight between them)
for name in AGG:
    case("NULL points skipped: " + name, q_agg(AGG[name], "rand_nulls", base_m, mi), refs[("rand_ref", name)])
    if "{w}" in AGG[name]:
        case("NULL weights skipped: " + name, q_agg(AGG[name], "rand_nullw", base_m, mi),
             refs[("rand_ref", name)])
for name, e in SCALAR.items():
    if name.startswith("gmm_stats_accum"):
        continue
    case("STRICT %s(NULL point)" % name, "SELECT (%s) IS NULL" % fill(e, base_m, mi, "NULL::float8[]"), "True")
    case("STRICT %s(NULL model)" % name, "SELECT (%s) IS NULL" % fill(
        e, "NULL::gmm", "NULL::gmm", "(SELECT x FROM rand_ref WHERE id = 0)", "1.0"), "True")
case("gmm_stats_accum(NULL state, m, NULL point)",
     "SELECT gmm_stats_accum(NULL::gmm_stats, %s, NULL::float8[]) IS NULL" % base_m, "True")
case("gmm_em_step over only NULL points",
     "SELECT gmm_em_step(%s, NULL::float8[]) IS NULL FROM generate_series(1, 3)" % base_m, "True")
case("gmm_fit over only NULL points",
     "SELECT gmm_fit(NULL::float8[], 2) IS NULL FROM generate_series(1, 3)", "True")
case("gmm_train(NULL model)", "SELECT gmm_train('%s.rand_ref', 'x', NULL::gmm) IS NULL" % S, "True")

# --------------------------------------------------------------- 2. model storage forms
MJOIN = "CROSS JOIN (SELECT m FROM %s WHERE name = '%s') mm CROSS JOIN (SELECT m AS mi FROM %s WHERE name = 'mi') mmi"
for mname in ("diag", "comp", "full"):
    m0 = lit(M[mname])
    mrefs = {}
    for name, e in list(SCALAR.items()) + list(AGG.items()):
        if name in AGG_NO_MODEL:
            continue
        q = q_scalar if name in SCALAR else q_agg
        mrefs[name] = run(q(e, "rand_ref", m0, mi))
    mrefs["train"] = run(q_train("rand_ref", m0))
    for form in ("extended", "external", "main"):
        tab = "models_" + form
        forms = {
            "join " + tab: ("mm.m", "mmi.mi", MJOIN % (tab, mname, tab)),
            "subquery " + tab: ("(SELECT m FROM %s WHERE name = '%s')" % (tab, mname),
                                "(SELECT m FROM %s WHERE name = 'mi')" % tab, ""),
        }
        for fname, (mexpr, miexpr, mjoin) in forms.items():
            for pt in ("rand_ref", "rand_external"):
                for name, e in list(SCALAR.items()) + list(AGG.items()):
                    if name in AGG_NO_MODEL:
                        continue
                    q = q_scalar if name in SCALAR else q_agg
                    case("model %s via %s, points %s: %s" % (mname, fname, pt, name),
                         q(e, pt, mexpr, miexpr, mjoin), mrefs[name])
            case("model %s via %s: gmm_train" % (mname, fname),
                 q_train("rand_ref", mexpr, mjoin), mrefs["train"])

# --------------------------------------------------------------- 2a. points with holes ("missing")
# points with NULL and NaN elements stored inline (reference), out of line and compressed: the
# functions of incomplete rows give the same answers (parallel aggregates to 1e-9)
holes = []
for i, (x, w) in enumerate(rows_rand):
    y = [None if (t * 7 + i) % 9 == 0 else (float("nan") if (t * 5 + i) % 11 == 0 else float(v))
         for t, v in enumerate(x)]
    holes.append((y, w))
holes.append(([None] * D, 1.0))      # every element missing: skipped
make_table("holes_ref", "float8[]", "PLAIN", holes)
make_table("holes_external", "float8[]", "EXTERNAL", holes)
make_table("holes_extended", "float8[]", "EXTENDED", [(x, w) for x, w in zip([h[0] for h in holes], [h[1] for h in holes])])
HOLE_FUNCS = [n for n in SCALAR if "observed" in n or n.endswith("_miss")]
HOLE_AGGS = [n for n in AGG if n.endswith("_miss")]
for name in HOLE_FUNCS + HOLE_AGGS:
    e = SCALAR.get(name) or AGG[name]
    q = q_scalar if name in SCALAR else q_agg
    href = run(q(e, "holes_ref", base_m, lit(MI)))
    V.check(href is not None and not href.startswith("ERROR") and href != "CRASH",
            "reference with holes %s: %s" % (name, href and href[:200]))
    for t in ("holes_external", "holes_extended"):
        for par in (False, True):
            case("points with holes %s%s: %s" % (t, " parallel" if par else "", name),
                 q(e, t, lit(M["diag"]), lit(MI)), href, not par or name in AGG_NO_MODEL,
                 PARALLEL if par else ())
case("gmm_train with holes, out of line",
     "SELECT gmm_train('%s.holes_external', 'x', 2, '%s')::text" % (S, FIT_OPTS_MISS),
     run("SELECT gmm_fit(x, 2, '%s' ORDER BY id)::text FROM holes_ref" % FIT_OPTS_MISS))

# --------------------------------------------------------------- 2b. functions of the model alone
# accessors, sampling (with and without a confidence region), marginals,
# components, selection: every stored form of the model, and the model as a
# PL/pgSQL parameter under a generic plan called with each model in turn
MODEL_ONLY = {
    "accessors": "(SELECT array[gmm_n_components(mm)::text, gmm_dimension(mm)::text, gmm_covariance_type(mm), "
                 "gmm_weights(mm)::text, md5(gmm_means(mm)::text), md5(gmm_covariances(mm)::text), "
                 "gmm_n_parameters(mm)::text]::text FROM (SELECT {m} AS mm) s)",
    "gmm_selection": "(SELECT count(*)::text FROM gmm_selection({m}))",
    "gmm_sample": "(SELECT md5(string_agg(x::text, ';')) FROM gmm_sample({m}, 5, 7) x)",
    "gmm_sample alpha": "(SELECT md5(string_agg(x::text, ';')) FROM gmm_sample({m}, 5, 7, 0.9) x)",
    "gmm_marginal": "md5(gmm_marginal({m}, ARRAY[1, 2])::text)",
    "gmm_component": "md5(gmm_component({m}, 1)::text)",
    "gmm_collapse": "md5(gmm_collapse({m})::text)",
    "gmm_send": "md5(gmm_send({m}))",
}
for mname in ("diag", "comp", "full"):
    for name, e in MODEL_ONLY.items():
        ref = run("SELECT " + e.replace("{m}", lit(M[mname])))
        V.check(ref is not None and not ref.startswith("ERROR"), "reference %s of %s: %s" % (name, mname, ref))
        for form in ("extended", "external", "main"):
            case("model %s from models_%s: %s" % (mname, form, name),
                 "SELECT " + e.replace("{m}", "(SELECT m FROM models_%s WHERE name = '%s')" % (form, mname)), ref)
for name, e in MODEL_ONLY.items():
    fn = "pl_model_" + re.sub(r"\W", "_", name)
    exec_("CREATE FUNCTION %s(m gmm) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN RETURN %s; END $f$"
          % (fn, e.replace("{m}", "m")))
    for mname in ("diag", "comp", "full", "diag"):
        ref = run("SELECT " + e.replace("{m}", lit(M[mname])))
        case("PL/pgSQL generic-plan parameter, model %s: %s" % (mname, name),
             "SELECT %s(m) FROM models_external WHERE name = '%s'" % (fn, mname), ref,
             settings=("SET plan_cache_mode = force_generic_plan",))
exec_("RESET plan_cache_mode")

# --------------------------------------------------------------- 2c. variational models
# gmm_vb_step / gmm_vb_stats over every point form (serial exact, parallel to rounding) and the
# variational model from every stored form; the posterior accessors, effective components and
# pruning of the model alone from every stored form and as a generic-plan parameter
VB_AGG = {
    "gmm_vb_step": "gmm_vb_step({m}, {x})",
    "gmm_vb_step_w": "gmm_vb_step({m}, {x}, {w})",
    "gmm_vb_stats": "gmm_vb_stats({m}, {x})",
    "gmm_vb_stats_w": "gmm_vb_stats({m}, {x}, {w})",
    "gmm_vb_update": "gmm_vb_update(gmm_vb_stats({m}, {x}))",
}
vb_m = lit(M["vb"])
for ref_t in ("rand_ref", "comp_ref", "real_ref"):
    for name, e in VB_AGG.items():
        refs[(ref_t, name)] = run(q_agg(e, ref_t, vb_m, mi))
        V.check(refs[(ref_t, name)] is not None and not refs[(ref_t, name)].startswith("ERROR"),
                "reference %s: %s" % (name, refs[(ref_t, name)]))
for t, (ref_t, _, _) in POINT_TABLES.items():
    if ref_t not in ("rand_ref", "comp_ref", "real_ref"):
        continue
    for par in (False, True):
        for name, e in VB_AGG.items():
            case("%s%s %s" % (t, " parallel" if par else "", name), q_agg(e, t, vb_m, mi),
                 refs[(ref_t, name)], not par, PARALLEL if par else ())
for form in ("extended", "external", "main"):
    tab = "models_" + form
    for name, e in VB_AGG.items():
        case("model vb via join %s: %s" % (tab, name),
             q_agg(e, "rand_ref", "mm.m", "mmi.mi", MJOIN % (tab, "vb", tab)), refs[("rand_ref", name)])
VB_ONLY = {
    "posterior": "(SELECT array[gmm_lower_bound(mm)::text, gmm_prior_type(mm), gmm_prior(mm)::text, "
                 "gmm_weight_concentration(mm)::text, gmm_mean_precision(mm)::text, "
                 "gmm_degrees_of_freedom(mm)::text]::text FROM (SELECT {m} AS mm) s)",
    "gmm_effective_components": "gmm_effective_components({m}, 0.2)::text",
    "gmm_prune": "md5(gmm_prune({m}, 0.2)::text)",
}
OBS_ONLY = {
    "observed": "(SELECT array[gmm_n_rows_used(mm), gmm_n_rows_skipped(mm), gmm_n_values_missing(mm)]::text "
                "FROM (SELECT {m} AS mm) s)",
}
for mname, funcs in (("vb", VB_ONLY), ("obs", OBS_ONLY)):
    for name, e in funcs.items():
        ref = run("SELECT " + e.replace("{m}", lit(M[mname])))
        V.check(ref is not None and not ref.startswith("ERROR"), "reference %s: %s" % (name, ref))
        for form in ("extended", "external", "main"):
            case("model %s from models_%s: %s" % (mname, form, name),
                 "SELECT " + e.replace("{m}", "(SELECT m FROM models_%s WHERE name = '%s')" % (form, mname)), ref)
        fn = "pl_" + mname + "_" + re.sub(r"\W", "_", name)
        exec_("CREATE FUNCTION %s(m gmm) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN RETURN %s; END $f$"
              % (fn, e.replace("{m}", "m")))
        case("PL/pgSQL generic-plan parameter, model %s: %s" % (mname, name),
             "SELECT %s(m) FROM models_external WHERE name = '%s'" % (fn, mname), ref,
             settings=("SET plan_cache_mode = force_generic_plan",))
exec_("RESET plan_cache_mode")

# --------------------------------------------------------------- 3. PL/pgSQL: expanded arrays, generic plans
# expanded point variables: v := r.x; v[1] := v[1] makes v a read/write expanded array
for name, e in SCALAR.items():
    body = fill(e, "m", "mi", "v", "r.w")
    exec_("""CREATE FUNCTION pl_exp_%s(m gmm, mi gmm, tab text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r record; v float8[]; res text[] := '{}';
BEGIN
  FOR r IN EXECUTE format('SELECT x::float8[] AS x, w FROM %%s ORDER BY id', tab) LOOP
    v := r.x; v[1] := v[1];
    res := res || ((%s)::text);
  END LOOP;
  RETURN array_to_string(res, ';');
END $f$""" % (name, body))
exec_("""CREATE FUNCTION pl_exp_accum(m gmm, tab text, weighted bool, em bool) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r record; v float8[]; st gmm_stats;
BEGIN
  FOR r IN EXECUTE format('SELECT x::float8[] AS x, w FROM %s ORDER BY id', tab) LOOP
    v := r.x; v[1] := v[1];
    IF weighted THEN st := gmm_stats_accum(st, m, v, r.w); ELSE st := gmm_stats_accum(st, m, v); END IF;
  END LOOP;
  IF em THEN RETURN gmm_em_step_final(st)::text; END IF;
  RETURN gmm_stats_agg_final(st)::text;
END $f$""")
exec_("""CREATE FUNCTION pl_exp_agg(m gmm, tab text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r record; v float8[]; res text[] := '{}';
BEGIN
  FOR r IN EXECUTE format('SELECT x::float8[] AS x FROM %s ORDER BY id', tab) LOOP
    v := r.x; v[1] := v[1];
    -- the expanded variable as the argument of aggregates (three identical rows)
    res := res || (SELECT gmm_em_step(m, v)::text FROM generate_series(1, 3))
               || (SELECT gmm_score(m, v)::text FROM generate_series(1, 3));
  END LOOP;
  RETURN array_to_string(res, ';');
END $f$""")
for t in ("rand_ref", "rand_external", "comp_main", "real_external"):
    ref_t = POINT_TABLES.get(t, (t,))[0]
    for name, e in SCALAR.items():
        case("expanded plpgsql array from %s: %s" % (t, name),
             "SELECT pl_exp_%s(%s, %s, '%s')" % (name, base_m, mi, t), refs[(ref_t, name)])
    # the first rows of the unexpanded reference for the accumulators: gmm_stats_accum
    # chained row by row equals gmm_em_step / gmm_stats_agg over the table only up to rounding
    # (blocked E-step), so compare the expanded chain to the same chain on plain values
    for weighted in (False, True):
        for em in (False, True):
            lab = "expanded plpgsql accum from %s weighted=%s em=%s" % (t, weighted, em)
            ref_sql = ("SELECT pl_exp_accum(%s, '%s', %s, %s)" % (base_m, ref_t, weighted, em))
            case(lab, "SELECT pl_exp_accum(%s, '%s', %s, %s)" % (base_m, t, weighted, em), run(ref_sql))
    case("expanded plpgsql array as aggregate argument, %s" % t,
         "SELECT pl_exp_agg(%s, '%s')" % (base_m, t), run("SELECT pl_exp_agg(%s, '%s')" % (base_m, ref_t)))

# parameters under a generic plan, three models through the same function (stale-model cache)
GENERIC = ("SET plan_cache_mode = force_generic_plan",)
for name, e in SCALAR.items():
    exec_("CREATE FUNCTION pl_par_%s(m gmm, mi gmm, x float8[], w float8) RETURNS text LANGUAGE plpgsql "
          "AS $f$ BEGIN RETURN (%s)::text; END $f$" % (name, fill(e, "m", "mi", "x", "w")))
    exec_("CREATE FUNCTION sql_par_%s(m gmm, mi gmm, x float8[], w float8) RETURNS text LANGUAGE sql "
          "AS $f$ SELECT (%s)::text $f$" % (name, fill(e, "m", "mi", "x", "w")))
for name, e in AGG.items():
    exec_("CREATE FUNCTION pl_agg_%s(m gmm) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN "
          "RETURN (SELECT (%s)::text FROM rand_external t); END $f$" % (name, fill(e, "m", "m")))
train_fn = ("CREATE FUNCTION pl_train(m gmm) RETURNS text LANGUAGE plpgsql AS $f$ BEGIN "
            "RETURN gmm_train('%s.rand_external', 'x', m, '%s')::text; END $f$" % (S, TRAIN_OPTS))
exec_(train_fn)
model_names = ("diag", "spherical", "diag2")
for mname in model_names:
    for name, e in SCALAR.items():
        refs[("m", mname, name)] = run(q_scalar(e, "rand_ref", lit(M[mname]), mi))
    for name, e in AGG.items():
        refs[("m", mname, name)] = run(q_agg(e, "rand_ref", lit(M[mname]), mi))
    refs[("m", mname, "train")] = run(q_train("rand_ref", lit(M[mname])))
for generic in (False, True):
    st = GENERIC if generic else ()
    g = " (generic plan)" if generic else ""
    for kind in ("pl", "sql"):
        for name in SCALAR:
            # one query calls the function for every (model, row): the same expression state sees
            # three models one after another
            sql = ("SELECT string_agg(%s_par_%s(mm.m, %s, t.x, t.w), ';' ORDER BY mm.ord, t.id) FROM rand_external t "
                   "CROSS JOIN (SELECT m, array_position(ARRAY['diag','spherical','diag2'], name) ord FROM models_external "
                   "WHERE name IN ('diag','spherical','diag2')) mm" % (kind, name, mi))
            ref = ";".join(refs[("m", mn, name)] for mn in model_names)
            case("%s function parameters%s, three models: %s" % (kind, g, name), sql, ref, True, st)
    # aggregates with the model as a PL/pgSQL parameter, three models in one session
    for name in AGG:
        for mname in model_names:
            case("plpgsql aggregate with model parameter%s: %s, model %s" % (g, name, mname),
                 "SELECT pl_agg_%s(%s)" % (name, lit(M[mname])), refs[("m", mname, name)], True, st)
    for mname in model_names:
        case("plpgsql gmm_train with model parameter%s, model %s" % (g, mname),
             "SELECT pl_train(%s)" % lit(M[mname]), refs[("m", mname, "train")], True, st)

crashes = watch.new_crashes()
V.check(not crashes, "server log reports crashes:\n    " + "\n    ".join(crashes[:10]))
print("storage-form matrix: %d cases compared, %d failures" % (ncases, len(V.failures)))
try:
    conn.cursor().execute("DROP SCHEMA %s CASCADE" % S)
except psycopg2.Error:
    pass
V.finish()
