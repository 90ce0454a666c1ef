#!/usr/bin/python3
"""Mutation fuzzer of gmm's input paths.

    /usr/bin/python3 test/checks/fuzz.py [--seconds N | --long] [--seed S] [--verbose]

Mutates valid inputs and feeds them to the server through:
  text    the gmm and gmm_stats text forms ('...'::gmm, '...'::gmm_stats)
  jsonb   the casts jsonb::gmm and jsonb::gmm_stats
  binary  gmm_recv and gmm_stats_recv (COPY ... FROM STDIN (FORMAT binary)
          into a table of gmm / gmm_stats columns)
  options the options jsonb of gmm_fit, gmm_train and gmm_stats_to_model
Every accepted value is then used: text output read back (equal), jsonb
read back (equal), binary send then recv (equal, same bytes), gmm_logpdf at
finite points (not NaN), gmm_predict_proba (sums to 1 within 1e-9),
gmm_predict (in 1..k); statistics go through gmm_stats_to_model and
gmm_stats_merge.

Counts inputs tried, accepted, clean errors, statement timeouts (cancelled
cleanly), crashes (the connection dies, or the server log shows "terminated
by signal"), hangs (a statement still running 30 s after its 2 s
statement_timeout) and misbehaving accepted values.  Exits 1 on any crash,
hang or misbehaving value.  Deterministic for a given --seed (default 1);
runs --seconds (default 100) or an hour with --long.  Connection from the PG*
variables; the server log from GMM_SERVER_LOG (see test/lib/gmmtest.py).
"""
import argparse
import io
import json
import os
import random
import struct
import sys
import threading
import time

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from gmmtest import LogWatch, connect  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
ap.add_argument("--seconds", type=float, default=100.0)
ap.add_argument("--long", action="store_true", help="run for an hour")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--verbose", action="store_true")
args = ap.parse_args()
if args.long:
    args.seconds = 3600.0

rnd = random.Random(args.seed)
counts = dict(tried=0, accepted=0, errors=0, timeouts=0, crashes=0, hangs=0, misbehaving=0)
by_path = {}
problems = []
watch = LogWatch()
HANG_AFTER = 30.0

conn = None
running = {"since": None, "pid": None}


def setup_session():
    global conn
    for _ in range(60):
        try:
            conn = connect()
            break
        except psycopg2.OperationalError:
            time.sleep(1)
    else:
        print("cannot connect")
        sys.exit(2)
    cur = conn.cursor()
    cur.execute("SET statement_timeout = '2s'; SET gmm.threads = 1; SET client_min_messages = warning")
    cur.execute("CREATE TEMP TABLE fz_gmm (m gmm); CREATE TEMP TABLE fz_stats (s gmm_stats)")
    cur.execute("CREATE TEMP TABLE fz_pts (x float8[], w float8)")
    cur.execute("INSERT INTO fz_pts SELECT ARRAY[(i % 3) * 4 + sin(i), (i % 3) * -2 + cos(i * 1.7)], 1 + (i % 4) "
                "FROM generate_series(1, 40) i")
    # incomplete rows, for "missing": "marginalize"
    cur.execute("CREATE TEMP TABLE fz_holes (x float8[], w float8)")
    cur.execute("INSERT INTO fz_holes SELECT ARRAY[CASE WHEN i % 5 = 0 THEN NULL ELSE x[1] END, "
                "CASE WHEN i % 7 = 0 THEN 'NaN' ELSE x[2] END], w "
                "FROM (SELECT row_number() OVER () i, x, w FROM fz_pts) r "
                "UNION ALL SELECT '{NULL,NaN}', 1")
    cur.execute("SELECT pg_backend_pid()")
    running["pid"] = cur.fetchone()[0]


def watchdog():
    """Terminate a statement that outlives its timeout by HANG_AFTER s (a hang)."""
    while True:
        time.sleep(1)
        s = running["since"]
        if s is not None and time.time() - s > HANG_AFTER:
            try:
                c = connect()
                c.cursor().execute("SELECT pg_terminate_backend(%s)", (running["pid"],))
                c.close()
            except psycopg2.Error:
                pass
            running["hung"] = True
            running["since"] = None


def problem(kind, path, what, inp):
    counts[kind] += 1
    r = repr(inp)
    problems.append("%s [%s] %s; input: %s" % (kind, path, what, r[:400]))
    print("PROBLEM:", problems[-1], flush=True)


class Lost(Exception):
    pass


def q(sql, params=None, copy_data=None):
    """Run one statement; returns the rows.  psycopg2.Error for a clean error,
    Lost if the connection died or hung (the session is set up again)."""
    cur = conn.cursor()
    running["since"] = time.time()
    running["hung"] = False
    try:
        if copy_data is not None:
            cur.copy_expert(sql, io.BytesIO(copy_data))
            return None
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
        if conn.closed or "server closed the connection" in str(e) or "terminating connection" in str(e):
            hung = running.get("hung")
            running["since"] = None
            setup_session()
            raise Lost("hang" if hung else "crash")
        raise
    finally:
        running["since"] = None


def copy_binary(values):
    """A COPY BINARY stream of one-column rows holding the given bytes."""
    out = bytearray(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
    for v in values:
        out += struct.pack("!h", 1)
        out += struct.pack("!i", len(v)) + v
    out += struct.pack("!h", -1)
    return bytes(out)


# ---------------------------------------------------------------- seeds
setup_session()
threading.Thread(target=watchdog, daemon=True).start()
MODEL_SQL = [
    "gmm('{0.3,0.7}', '{0,0, 1,1}', '{1,0,0,1, 2,0.5,0.5,1}')",
    "gmm('{0.5,0.5}', '{0,0, 3,1}', '{1,2, 0.5,0.25}', 'diag')",
    "gmm('{0.2,0.3,0.5}', '{0, 1, 2}', '{1,2,3}', 'spherical')",
    "gmm('{0.4,0.6}', '{0,0,0, 1,2,3}', '{2,0.1,0,0.1,1,0,0,0,1}', 'tied')",
    "gmm('{1}', '{5}', '{0.01}', 'spherical')",
    "(SELECT gmm_fit(x, 2, '{\"seed\": 1}') FROM fz_pts)",
    "(SELECT gmm_fit_weighted(x, w, 3, '{\"covariance_type\": \"diag\", \"seed\": 2}') FROM fz_pts)",
    # a k_max fit carries its selection table (format version 2)
    "(SELECT gmm_fit(x, 1, '{\"k_max\": 3, \"seed\": 3}') FROM fz_pts)",
    # variational fits carry their posterior section
    "(SELECT gmm_fit(x, 3, '{\"prior\": {\"weight_concentration\": 0.1}, \"seed\": 4}') FROM fz_pts)",
    "(SELECT gmm_fit(x, 2, '{\"covariance_type\": \"tied\", \"prior\": {\"type\": \"dirichlet_distribution\"}}')"
    " FROM fz_pts)",
    # a fit on incomplete rows carries the observed-data section
    "(SELECT gmm_fit(x, 2, '{\"missing\": \"marginalize\", \"seed\": 4}') FROM fz_holes)",
]
models = [q("SELECT (%s)::text, (%s)::jsonb::text, gmm_send(%s)" % (s, s, s))[0] for s in MODEL_SQL]
stats = [q("SELECT s::text, s::jsonb::text, gmm_stats_send(s) FROM (SELECT gmm_stats_agg(%s, x%s) s FROM fz_pts) a"
           % (m, w))[0] for m, w in ((MODEL_SQL[0], ""), (MODEL_SQL[1], ", w"), (MODEL_SQL[5], ""))]
stats += [q("SELECT s::text, s::jsonb::text, gmm_stats_send(s) FROM (SELECT gmm_vb_stats(%s, x) s FROM fz_pts) a"
            % m)[0] for m in (MODEL_SQL[8], MODEL_SQL[9])]
# statistics of incomplete rows carry the observed-data counts
stats += [q("SELECT s::text, s::jsonb::text, gmm_stats_send(s) FROM (SELECT gmm_stats_agg(%s, x, 1, "
            "'{\"missing\": \"marginalize\"}') s FROM fz_holes) a" % MODEL_SQL[-1])[0]]
SEEDS = {
    "gmm text": [m[0] for m in models],
    "gmm jsonb": [m[1] for m in models],
    "gmm binary": [bytes(m[2]) for m in models],
    "stats text": [s[0] for s in stats],
    "stats jsonb": [s[1] for s in stats],
    "stats binary": [bytes(s[2]) for s in stats],
    "options": [
        '{"covariance_type": "diag", "seed": 7, "max_iter": 20}',
        '{"covariance_type": "full", "tol": 1e-4, "reg_covar": 1e-5, "n_init": 2, "init": "kmeans++"}',
        '{"covariance_type": "spherical", "init": "random", "max_tries": 3, "verbose": false}',
        '{"means": [[0, 0], [4, -2]], "weights": [0.5, 0.5], "covariances": [[[1, 0], [0, 1]], [[2, 0.1], [0.1, 1]]]}',
        '{"covariance_type": "tied", "k_max": 3, "criterion": "aic", "seed": -5}',
        '{"covariance_type": "diag", "sample_size": 20, "weight_column": "w", "seed": 3}',
        '{"covariance_type": null, "init": null, "max_iter": 0}',
        '{"prior": {"type": "dirichlet_process", "weight_concentration": 0.01, "mean_precision": 2}, "seed": 1}',
        '{"covariance_type": "diag", "prior": {"type": "dirichlet_distribution", "mean": [0, 1], '
        '"degrees_of_freedom": 3, "covariance": [1, 2]}, "max_iter": 5}',
        '{"covariance_type": "full", "prior": {"covariance": [[1, 0.2], [0.2, 1]], "mean": [0, 0]}}',
        '{"storage": "float4", "init": "kmeans", "seed": 2}',
        '{"missing": "marginalize", "covariance_type": "full", "seed": 2}',
        '{"missing": "error", "k_max": 2}',
    ],
}
INTERESTING_NUMS = ["0", "-0", "-0.0", "1", "-1", "2", "3", "1e308", "-1e308", "1e309", "1.7976931348623157e308",
                    "4.9e-324", "1e-320", "2.2250738585072014e-308", "1e-300", "1e300", "1e200", "-1e200", "NaN",
                    "Infinity", "-Infinity", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                    "2147483647", "2147483648", "-2147483649", "4294967296", "65536", "1000000000", "0.5", "1e-12",
                    "123456789012345678901234567890", "0.1", "3.5", "1e", "--1", "0x10", ".5", "5.", "1e+999"]
INTERESTING_TOK = ['{', '}', '[', ']', ',', ':', '"', '\\', 'null', 'true', 'false', '""', '[]', '{}', '[[', ']]',
                   '"full"', '"diag"', '"spherical"', '"tied"', '"weights"', '"means"', '"covariances"',
                   '"dimension"', '"n_components"', '"covariance_type"', '"storage"', '"float4"', '"model"', '"n_rows"', '"sum_weights"',
                   '"missing"', '"marginalize"', '"n_rows_used"', '"n_rows_skipped"', '"n_values_missing"',
                   '\\u0000', '\u00e9', ' ', '\n', '[' * 50, ']' * 50, '{"a":' * 20]


def mutate_text(s):
    s = list(s)
    for _ in range(rnd.choice((1, 1, 1, 2, 3, 5))):
        op = rnd.randrange(9)
        n = len(s)
        i = rnd.randrange(n + 1) if n else 0
        if op == 0 and n:  # replace a number with an interesting one
            digits = [j for j, c in enumerate(s) if c.isdigit()]
            if digits:
                j = rnd.choice(digits)
                a = j
                while a > 0 and (s[a - 1].isdigit() or s[a - 1] in ".eE+-"):
                    a -= 1
                b = j
                while b < n and (s[b].isdigit() or s[b] in ".eE+-"):
                    b += 1
                s[a:b] = list(rnd.choice(INTERESTING_NUMS))
        elif op == 1 and n:
            del s[i:i + rnd.randint(1, 8)]
        elif op == 2:
            s[i:i] = list(rnd.choice(INTERESTING_TOK))
        elif op == 3 and n:
            a = rnd.randrange(n)
            b = min(n, a + rnd.randint(1, 40))
            s[i:i] = s[a:b]
        elif op == 4 and n:
            s[rnd.randrange(n)] = chr(rnd.randrange(32, 127))
        elif op == 5 and n:
            s = s[:rnd.randrange(n)]
        elif op == 6 and n:  # duplicate an array element / number run
            j = rnd.randrange(n)
            if s[j] == ",":
                k = j + 1
                while k < n and s[k] not in ",]}":
                    k += 1
                s[k:k] = s[j:k]
        elif op == 7:
            s[i:i] = list(rnd.choice(INTERESTING_NUMS))
        elif op == 8 and n:  # swap two chars
            a, b = rnd.randrange(n), rnd.randrange(n)
            s[a], s[b] = s[b], s[a]
    return "".join(s)


INTERESTING_INTS = [0, 1, 2, 3, -1, 0x7fffffff, -0x80000000, 0x10000, 0xffff, 1000, 100000, 0x40000000, 255]
INTERESTING_F8 = [0.0, -0.0, 1.0, -1.0, 1e308, -1e308, float("inf"), float("-inf"), float("nan"), 5e-324, 1e-300, 1e300]


def mutate_binary(b):
    b = bytearray(b)
    for _ in range(rnd.choice((1, 1, 2, 3, 6))):
        n = len(b)
        op = rnd.randrange(8)
        if op == 0 and n:
            b[rnd.randrange(n)] ^= 1 << rnd.randrange(8)
        elif op == 1 and n:
            b[rnd.randrange(n)] = rnd.choice((0, 0xff, 0x7f, 0x80, 1))
        elif op == 2 and n >= 4:  # an int32 field (headers are at 4-byte offsets near the start)
            i = rnd.randrange(0, min(n - 3, 64)) if rnd.random() < 0.7 else rnd.randrange(n - 3)
            b[i:i + 4] = struct.pack("!i", rnd.choice(INTERESTING_INTS))
        elif op == 3 and n >= 8:
            i = rnd.randrange(n - 7)
            b[i:i + 8] = struct.pack("!d", rnd.choice(INTERESTING_F8))
        elif op == 4 and n:
            del b[rnd.randrange(n):]
        elif op == 5:
            i = rnd.randrange(n + 1)
            b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        elif op == 6 and n:
            i = rnd.randrange(n)
            del b[i:i + rnd.randint(1, 16)]
        elif op == 7 and n >= 8:
            i = rnd.randrange(n - 7)
            b[i:i] = b[i:i + 8] * rnd.randint(1, 3)
    return bytes(b)


# ---------------------------------------------------------------- checks of accepted values
POINTS_SQL = """
SELECT p, gmm_logpdf(m, p), gmm_predict_proba(m, p), gmm_predict(m, p), gmm_n_components(m)
FROM (SELECT m FROM fz_gmm LIMIT 1) s,
LATERAL (SELECT array_fill(0::float8, ARRAY[gmm_dimension(m)]) p
         UNION ALL SELECT ARRAY(SELECT unnest((gmm_means(m))[1:1]))
         UNION ALL SELECT array_fill(3.5::float8, ARRAY[gmm_dimension(m)])
         UNION ALL SELECT array_fill(-1e3::float8, ARRAY[gmm_dimension(m)])) pts
"""


# points with one element missing (NULL, or NaN), scored by their observed dimensions
OBSERVED_SQL = """
SELECT p, gmm_logpdf_observed(m, p), gmm_predict_proba_observed(m, p), gmm_predict_observed(m, p), gmm_n_components(m)
FROM (SELECT m FROM fz_gmm LIMIT 1) s,
LATERAL (SELECT array_fill(0::float8, ARRAY[gmm_dimension(m)]) p
         UNION ALL SELECT array_fill(3.5::float8, ARRAY[gmm_dimension(m)])) pts0,
LATERAL (SELECT CASE WHEN gmm_dimension(m) > 1 THEN p[1:gmm_dimension(m) - 1] || NULL::float8
                     ELSE p END AS p
         UNION ALL SELECT 'NaN'::float8 || p[2:]) pts
"""


def check_model(path, inp):
    """The model in fz_gmm behaves: round trips and finite scores."""
    r = q("SELECT m::text, (m::text)::gmm = m, ((m::text)::gmm)::text = m::text, (m::jsonb)::gmm = m, "
          "gmm_send(m) FROM fz_gmm LIMIT 1")[0]
    if not (r[1] and r[2]):
        problem("misbehaving", path, "text output does not read back equal: %s" % r[0][:300], inp)
    if not r[3]:
        problem("misbehaving", path, "jsonb output does not read back equal", inp)
    sent = bytes(r[4])
    q("CREATE TEMP TABLE IF NOT EXISTS fz_gmm2 (m gmm); TRUNCATE fz_gmm2")
    try:
        q("COPY fz_gmm2 FROM STDIN (FORMAT binary)", copy_data=copy_binary([sent]))
        r2 = q("SELECT a.m = b.m, gmm_send(b.m) FROM fz_gmm a, fz_gmm2 b")[0]
        if not r2[0] or bytes(r2[1]) != sent:
            problem("misbehaving", path, "binary send/recv does not give the same value", inp)
    except Lost:
        raise
    except psycopg2.Error as e:
        problem("misbehaving", path, "binary send output refused by recv: %s" % str(e).strip()[:200], inp)
    try:
        rows = q(POINTS_SQL)
    except Lost:
        raise
    except psycopg2.Error as e:
        # a model whose scores overflow may error cleanly; that is not a crash
        if "canceling statement" in str(e):
            counts["timeouts"] += 1
        return
    try:  # the variational accessors, effective components, pruning and one step
        q("SELECT gmm_lower_bound(m), gmm_prior_type(m), gmm_prior(m), gmm_weight_concentration(m), "
          "gmm_mean_precision(m), gmm_degrees_of_freedom(m), gmm_effective_components(m), "
          "gmm_n_rows_used(m), gmm_n_rows_skipped(m), gmm_n_values_missing(m), "
          "gmm_prune(m, 0)::text FROM fz_gmm")
        q("SELECT gmm_vb_step(m, p)::text FROM fz_gmm, (SELECT array_fill(0.5::float8, "
          "ARRAY[gmm_dimension(m)]) p FROM fz_gmm) pts GROUP BY m")
    except Lost:
        raise
    except psycopg2.Error:
        pass
    try:
        orows = q(OBSERVED_SQL)
    except Lost:
        raise
    except psycopg2.Error as e:
        if "canceling statement" in str(e):
            counts["timeouts"] += 1
        orows = []
    try:
        score = q("SELECT gmm_score_observed(m, p) FROM (%s) o, (SELECT m FROM fz_gmm LIMIT 1) s"
                  % OBSERVED_SQL.replace("SELECT p, gmm_logpdf_observed(m, p), gmm_predict_proba_observed(m, p), "
                                         "gmm_predict_observed(m, p), gmm_n_components(m)", "SELECT p"))[0][0]
        if score is not None and score != score:
            problem("misbehaving", path, "gmm_score_observed is NaN", inp)
    except Lost:
        raise
    except psycopg2.Error as e:
        if "canceling statement" in str(e):
            counts["timeouts"] += 1
    for p, lp, proba, pred, k in orows:
        if lp is not None and lp != lp:
            problem("misbehaving", path, "gmm_logpdf_observed is NaN at %s" % (p[:6],), inp)
        if proba is None or any(v != v for v in proba) or abs(sum(proba) - 1.0) > 1e-9:
            problem("misbehaving", path, "gmm_predict_proba_observed at %s is %s" % (p[:6], (proba or [])[:6]), inp)
        if pred is None or not 1 <= pred <= k:
            problem("misbehaving", path, "gmm_predict_observed at %s is %r (k = %d)" % (p[:6], pred, k), inp)
    for p, lp, proba, pred, k in rows:
        if lp is not None and lp != lp:
            problem("misbehaving", path, "gmm_logpdf is NaN at the finite point %s" % (p[:6],), inp)
        if proba is None or any(v != v for v in proba) or abs(sum(proba) - 1.0) > 1e-9:
            problem("misbehaving", path, "gmm_predict_proba at %s is %s (sum %r)" %
                    (p[:6], (proba or [])[:6], proba and sum(proba)), inp)
        if pred is None or not 1 <= pred <= k:
            problem("misbehaving", path, "gmm_predict at %s is %r (k = %d)" % (p[:6], pred, k), inp)


def check_stats(path, inp):
    r = q("SELECT s::text, ((s::text)::gmm_stats)::text = s::text, ((s::jsonb)::gmm_stats)::text = s::text, "
          "gmm_stats_send(s) FROM fz_stats LIMIT 1")[0]
    if not r[1]:
        problem("misbehaving", path, "text output does not read back equal: %s" % r[0][:300], inp)
    if not r[2]:
        problem("misbehaving", path, "jsonb output does not read back equal", inp)
    sent = bytes(r[3])
    q("CREATE TEMP TABLE IF NOT EXISTS fz_stats2 (s gmm_stats); TRUNCATE fz_stats2")
    try:
        q("COPY fz_stats2 FROM STDIN (FORMAT binary)", copy_data=copy_binary([sent]))
        r2 = q("SELECT a.s::text = b.s::text, gmm_stats_send(b.s) FROM fz_stats a, fz_stats2 b")[0]
        if not r2[0] or bytes(r2[1]) != sent:
            problem("misbehaving", path, "binary send/recv does not give the same value", inp)
    except Lost:
        raise
    except psycopg2.Error as e:
        problem("misbehaving", path, "binary send output refused by recv: %s" % str(e).strip()[:200], inp)
    for sql in ("SELECT gmm_stats_merge(s, s)::text FROM fz_stats",
                "SELECT gmm_stats_to_model(s)::text FROM fz_stats",
                "SELECT gmm_vb_update(s)::text FROM fz_stats",
                "SELECT gmm_vb_update(s, '{\"prior\": {}}')::text FROM fz_stats",
                "SELECT gmm_stats_n_rows(s), gmm_stats_weight(s), gmm_stats_log_likelihood(s), gmm_stats_counts(s), "
                "gmm_stats_n_rows_skipped(s), gmm_stats_n_values_missing(s), "
                "gmm_stats_model(s)::text FROM fz_stats"):
        try:
            q(sql)
        except Lost:
            raise
        except psycopg2.Error:
            pass
    # the model it embeds and the model it gives must behave
    for sql in ("SELECT gmm_stats_model(s) FROM fz_stats", "SELECT gmm_stats_to_model(s) FROM fz_stats",
                "SELECT gmm_vb_update(s) FROM fz_stats"):
        try:
            q("TRUNCATE fz_gmm; INSERT INTO fz_gmm " + sql)
        except Lost:
            raise
        except psycopg2.Error:
            continue
        check_model(path + " -> model", inp)


# ---------------------------------------------------------------- the loop
def one(path):
    base = rnd.choice(SEEDS[path])
    if path.endswith("binary"):
        inp = mutate_binary(base)
    else:
        inp = mutate_text(base)
    counts["tried"] += 1
    by_path.setdefault(path, [0, 0])[0] += 1
    try:
        if path == "gmm text":
            q("TRUNCATE fz_gmm; INSERT INTO fz_gmm VALUES (%s::gmm)", (inp,))
        elif path == "gmm jsonb":
            q("TRUNCATE fz_gmm; INSERT INTO fz_gmm VALUES (%s::jsonb::gmm)", (inp,))
        elif path == "gmm binary":
            q("TRUNCATE fz_gmm")
            q("COPY fz_gmm FROM STDIN (FORMAT binary)", copy_data=copy_binary([inp]))
        elif path == "stats text":
            q("TRUNCATE fz_stats; INSERT INTO fz_stats VALUES (%s::gmm_stats)", (inp,))
        elif path == "stats jsonb":
            q("TRUNCATE fz_stats; INSERT INTO fz_stats VALUES (%s::jsonb::gmm_stats)", (inp,))
        elif path == "stats binary":
            q("TRUNCATE fz_stats")
            q("COPY fz_stats FROM STDIN (FORMAT binary)", copy_data=copy_binary([inp]))
        elif path == "options":
            which = rnd.randrange(7)
            q("TRUNCATE fz_gmm")
            if which == 4:
                # past gmm.fit_memory_limit: the rows spill to a temporary file
                q("SET gmm.fit_memory_limit = '64kB'")
                try:
                    q("INSERT INTO fz_gmm SELECT gmm_fit(x, 2, %s::jsonb) FROM fz_pts, generate_series(1, 80) r",
                      (inp,))
                finally:
                    if not conn.closed:
                        q("RESET gmm.fit_memory_limit")
            elif which == 0:
                q("INSERT INTO fz_gmm SELECT gmm_fit(x, 2, %s::jsonb) FROM fz_pts", (inp,))
            elif which == 1:
                q("INSERT INTO fz_gmm SELECT gmm_fit_weighted(x, w, 2, %s::jsonb) FROM fz_pts", (inp,))
            elif which == 2:
                q("INSERT INTO fz_gmm SELECT gmm_train('fz_pts', 'x', 2, %s::jsonb)", (inp,))
            elif which == 3:
                q("INSERT INTO fz_gmm SELECT gmm_vb_update(gmm_stats_agg("
                  "gmm('{0.5,0.5}', '{0,0, 4,-2}', '{1,1, 1,1}', 'diag'), x), %s::jsonb) FROM fz_pts", (inp,))
            elif which == 6:
                q("INSERT INTO fz_gmm SELECT gmm_stats_to_model(gmm_stats_agg("
                  "gmm('{0.5,0.5}', '{0,0, 4,-2}', '{1,1, 1,1}', 'diag'), x), %s::jsonb) FROM fz_pts", (inp,))
            elif which == 4:
                q("INSERT INTO fz_gmm SELECT gmm_fit(x, 2, %s::jsonb) FROM fz_holes", (inp,))
            elif which == 5:
                q("INSERT INTO fz_gmm SELECT gmm_em_step(gmm('{0.5,0.5}', '{0,0, 4,-2}', '{1,1, 1,1}', 'diag'), "
                  "x, w, %s::jsonb) FROM fz_holes", (inp,))
            if not q("SELECT count(*) FROM fz_gmm WHERE m IS NOT NULL")[0][0]:
                counts["accepted"] += 1
                return
        counts["accepted"] += 1
        by_path[path][1] += 1
        if path.startswith("stats"):
            check_stats(path, inp)
        else:
            check_model(path, inp)
    except Lost as e:
        problem("hangs" if str(e) == "hang" else "crashes", path, "connection lost", inp)
    except psycopg2.Error as e:
        if "canceling statement due to statement timeout" in str(e):
            counts["timeouts"] += 1
        else:
            counts["errors"] += 1
            if args.verbose:
                print("error:", str(e).strip().splitlines()[0][:150])


PATHS = list(SEEDS)
deadline = time.time() + args.seconds
i = 0
while time.time() < deadline:
    one(PATHS[i % len(PATHS)])
    i += 1
    if args.verbose and i % 500 == 0:
        print(counts, flush=True)

crash_lines = watch.new_crashes()
if crash_lines and counts["crashes"] == 0:
    counts["crashes"] = len([c for c in crash_lines if "terminated by signal" in c]) or 1
for c in crash_lines[:10]:
    print("server log:", c)
print("fuzz: seed %d, %.0f s: %d inputs tried (%s), %d accepted, %d clean errors, %d statement timeouts, "
      "%d crashes, %d hangs, %d misbehaving accepted values" % (
          args.seed, args.seconds, counts["tried"],
          ", ".join("%s %d/%d accepted" % (p, v[0], v[1]) for p, v in by_path.items()) and
          ", ".join("%s %d" % (p, v[0]) for p, v in by_path.items()),
          counts["accepted"], counts["errors"], counts["timeouts"], counts["crashes"], counts["hangs"],
          counts["misbehaving"]))
if problems:
    print("%d problems (first 30 above are printed as they happen)" % len(problems))
sys.exit(1 if counts["crashes"] or counts["hangs"] or counts["misbehaving"] else 0)
