#!/usr/bin/python3
"""check_upgrade.py: ALTER EXTENSION gmm UPDATE from the released 0.1.0 gives
the same extension as a fresh install of the current version, and keeps the
values stored under 0.1.0.

1. The scripts the server has installed are this repository's: the frozen
   gmm--0.1.0.sql (its SHA-256 is pinned here: it must never change), the
   upgrade scripts, and gmm--<default_version>.sql equal to src/sql/*.sql
   concatenated in the Makefile's SQL_PARTS order.
2. In database gmm_upgrade_old: CREATE EXTENSION gmm VERSION '0.1.0', tables
   of gmm and gmm_stats values (every covariance type, fitted and built
   models, statistics), views that score them (row functions and the
   aggregates); their text, binary (send) and on-disk bytes are recorded.
   Then ALTER EXTENSION gmm UPDATE: the values read back bit for bit (text,
   send, raw bytes) and the views return exactly what they returned before.
3. The catalog of the updated extension equals a fresh CREATE EXTENSION gmm
   in gmm_upgrade_new: every member (pg_describe_object over pg_depend,
   deptype 'e'), every function's definition (pg_get_functiondef: arguments,
   defaults, result, language, symbol, volatility, strictness, parallel
   safety, cost, rows), aggregate definitions (pg_aggregate), types, casts,
   operators, operator classes, and comments.
4. Values written by gmm 0.1.0 (test/checks/upgrade/gmm-0.1.0-values.json: the raw
   on-disk bytes of gmm and gmm_stats values written by tag v0.1.0, format
   version 1) are read after the update: put on disk as they are, their
   parameters equal those 0.1.0 read bit for bit, and scores, labels and
   the M-step computed from them equal 0.1.0's (scores to 1e-12 relative).

Exit status 0 only if everything matches.  Uses the server of the PG*
variables (superuser: it creates a helper type with LANGUAGE internal
functions); creates and drops the two databases.

  /usr/bin/python3 test/checks/check_upgrade.py                  # the check
  /usr/bin/python3 test/checks/check_upgrade.py --write-fixture F # against a server
        running the v0.1.0 build: write the 0.1.0 values' fixture to F
"""

import hashlib
import json
import os
import re
import sys

import psycopg2

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(REPO, "test", "checks", "upgrade", "gmm-0.1.0-values.json")
OLD_DB = "gmm_upgrade_old"
NEW_DB = "gmm_upgrade_new"
# gmm--0.1.0.sql as released with tag v0.1.0: never to change
SHA256_0_1_0 = "72383f19200c4e1ff53731c6c430aa4d52dd8c3160229e27ed39c5e3dfac628f"

failures = []


def check(ok, what, detail=None):
    """Record and print one check."""
    print(("ok      " if ok else "FAILED  ") + what)
    if not ok:
        failures.append(what)
        if detail:
            for line in str(detail).splitlines()[:60]:
                print("        " + line)
    return ok


def connect(db):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def rows(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def run(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)


# A varlena type with bytea's text I/O and gmm's alignment: casting gmm and
# gmm_stats to and from it WITHOUT FUNCTION shows and sets their raw bytes.
RAW_TYPE_SQL = """
CREATE TYPE gmm_raw;
CREATE FUNCTION gmm_raw_in(cstring) RETURNS gmm_raw AS 'byteain' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION gmm_raw_out(gmm_raw) RETURNS cstring AS 'byteaout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE gmm_raw (INPUT = gmm_raw_in, OUTPUT = gmm_raw_out,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
CREATE CAST (gmm AS gmm_raw) WITHOUT FUNCTION;
CREATE CAST (gmm_raw AS gmm) WITHOUT FUNCTION;
CREATE CAST (gmm_stats AS gmm_raw) WITHOUT FUNCTION;
CREATE CAST (gmm_raw AS gmm_stats) WITHOUT FUNCTION;
"""

DATA_SQL = """
CREATE TABLE pts AS
SELECT i, ARRAY[(i % 3) * 4 + sin(i * 1.3), (i % 3) - 2 * cos(i * 0.7)]::float8[] AS x
FROM generate_series(1, 600) i;
CREATE TABLE models (name text PRIMARY KEY, m gmm);
INSERT INTO models
SELECT t, gmm_fit(x, 3, jsonb_build_object('covariance_type', t, 'seed', 7)) FROM pts,
       unnest(ARRAY['full', 'diag', 'spherical', 'tied']) t GROUP BY t;
INSERT INTO models VALUES
  ('built', gmm(ARRAY[1/3.0, 2/3.0]::float8[], ARRAY[0.1, 1e-300, pi(), -1e300]::float8[],
                ARRAY[exp(1.0)::float8, 0.1, 0.1, 1.0/7, 2, 1/3.0, 1/3.0, 0.5]::float8[])),
  ('built_diag', gmm(ARRAY[0.25, 0.75]::float8[], ARRAY[0, 1, 2, 3]::float8[],
                     ARRAY[1, 2, 0.5, 0.125]::float8[], 'diag')),
  ('null', NULL);
CREATE TABLE stats (name text PRIMARY KEY, s gmm_stats);
INSERT INTO stats SELECT name, (SELECT gmm_stats_agg(models.m, x) FROM pts) FROM models WHERE m IS NOT NULL;
INSERT INTO stats SELECT 'weighted_' || name, (SELECT gmm_stats_agg(models.m, x, 1 + i % 3) FROM pts)
FROM models WHERE name IN ('full', 'diag');
CREATE VIEW scored AS
SELECT m.name, p.i, gmm_logpdf(m.m, p.x) AS logpdf, gmm_predict(m.m, p.x) AS label,
       gmm_predict_proba(m.m, p.x) AS proba
FROM models m JOIN pts p ON p.i % 50 = 0 WHERE m.m IS NOT NULL;
CREATE VIEW model_scores AS
SELECT m.name, gmm_score(m.m, p.x) AS score, gmm_bic(m.m, p.x) AS bic, gmm_aic(m.m, p.x) AS aic,
       gmm_em_step(m.m, p.x) AS step
FROM models m CROSS JOIN pts p WHERE m.m IS NOT NULL GROUP BY m.name;
CREATE VIEW stats_read AS
SELECT name, gmm_stats_n_rows(s) AS n, gmm_stats_weight(s) AS w, gmm_stats_log_likelihood(s) AS ll,
       gmm_stats_counts(s) AS counts, gmm_stats_to_model(s) AS m
FROM stats;
"""

VALUES_SQL = """
SELECT 'gmm:' || name, m::text, encode(gmm_send(m), 'hex'), (m::gmm_raw)::text FROM models
UNION ALL
SELECT 'stats:' || name, s::text, encode(gmm_stats_send(s), 'hex'), (s::gmm_raw)::text FROM stats
ORDER BY 1
"""

# COPY in binary shows each value exactly as a client reading binary gets it
VIEWS = ["SELECT * FROM scored ORDER BY name, i",
         "SELECT name, score, bic, aic, step::text FROM model_scores ORDER BY name",
         "SELECT name, n, w, ll, counts, m::text FROM stats_read ORDER BY name"]


def copy_binary(conn, table):
    import io
    buf = io.BytesIO()
    with conn.cursor() as cur:
        cur.copy_expert("COPY (SELECT * FROM %s ORDER BY name) TO STDOUT (FORMAT binary)" % table, buf)
    return hashlib.sha256(buf.getvalue()).hexdigest()


def snapshot(conn):
    snap = {"values": rows(conn, VALUES_SQL),
            "copy_models": copy_binary(conn, "models"),
            "copy_stats": copy_binary(conn, "stats")}
    for q in VIEWS:
        snap[q] = rows(conn, q)
    return snap


# -- the catalog of the extension, as comparable lists of text ----------------

CATALOG = {
    "members": """
        SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
        WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
          AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "functions": """
        SELECT pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '-')
               || ' leakproof=' || p.proleakproof
        FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm') AND p.prokind <> 'a'""",
    "aggregates": """
        SELECT concat_ws(' | ', p.oid::regprocedure, pg_get_function_arguments(p.oid),
               pg_get_function_result(p.oid), p.provolatile, p.proisstrict, p.proparallel,
               a.aggkind, a.aggnumdirectargs, a.aggtransfn::oid::regprocedure,
               nullif(a.aggfinalfn::oid, 0)::regprocedure, nullif(a.aggcombinefn::oid, 0)::regprocedure,
               nullif(a.aggserialfn::oid, 0)::regprocedure, nullif(a.aggdeserialfn::oid, 0)::regprocedure,
               nullif(a.aggmtransfn::oid, 0)::regprocedure, nullif(a.aggminvtransfn::oid, 0)::regprocedure,
               nullif(a.aggmfinalfn::oid, 0)::regprocedure, a.aggfinalextra, a.aggmfinalextra,
               a.aggfinalmodify, a.aggmfinalmodify, nullif(a.aggsortop, 0)::regoperator,
               a.aggtranstype::regtype, a.aggtransspace, nullif(a.aggmtranstype, 0)::regtype,
               a.aggmtransspace, coalesce(a.agginitval, '-'), coalesce(a.aggminitval, '-'),
               coalesce(p.proacl::text, '-'))
        FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "types": """
        SELECT concat_ws(' | ', t.oid::regtype, t.typlen, t.typbyval, t.typtype, t.typcategory,
               t.typispreferred, t.typdelim, t.typinput::oid::regprocedure,
               t.typoutput::oid::regprocedure, nullif(t.typreceive::oid, 0)::regprocedure,
               nullif(t.typsend::oid, 0)::regprocedure, nullif(t.typmodin::oid, 0)::regprocedure,
               nullif(t.typmodout::oid, 0)::regprocedure, nullif(t.typanalyze::oid, 0)::regprocedure,
               nullif(t.typsubscript::oid, 0)::regprocedure, t.typalign, t.typstorage, t.typnotnull,
               nullif(t.typelem, 0)::regtype, nullif(t.typarray, 0)::regtype, t.typcollation,
               coalesce(t.typdefault, '-'), coalesce(t.typacl::text, '-'))
        FROM pg_type t JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "array types": """
        SELECT concat_ws(' | ', a.oid::regtype, a.typelem::regtype, a.typalign, a.typstorage)
        FROM pg_type a JOIN pg_type t ON a.oid = t.typarray
        JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "casts": """
        SELECT concat_ws(' | ', c.castsource::regtype, c.casttarget::regtype,
               nullif(c.castfunc, 0)::regprocedure, c.castcontext, c.castmethod)
        FROM pg_cast c JOIN pg_depend d ON d.classid = 'pg_cast'::regclass AND d.objid = c.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "operators": """
        SELECT concat_ws(' | ', o.oid::regoperator, o.oprkind, o.oprresult::regtype,
               nullif(o.oprcom, 0)::regoperator, nullif(o.oprnegate, 0)::regoperator,
               o.oprcode::oid::regprocedure, nullif(o.oprrest::oid, 0)::regprocedure,
               nullif(o.oprjoin::oid, 0)::regprocedure, o.oprcanmerge, o.oprcanhash)
        FROM pg_operator o JOIN pg_depend d ON d.classid = 'pg_operator'::regclass AND d.objid = o.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "operator classes": """
        SELECT concat_ws(' | ', c.opcname, am.amname, c.opcintype::regtype, c.opcdefault,
               nullif(c.opckeytype, 0)::regtype, f.opfname)
        FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
        JOIN pg_opfamily f ON f.oid = c.opcfamily
        JOIN pg_depend d ON d.classid = 'pg_opclass'::regclass AND d.objid = c.oid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')""",
    "operator family members": """
        SELECT concat_ws(' | ', f.opfname, 'op', o.amopstrategy, o.amopopr::regoperator,
               o.amoplefttype::regtype, o.amoprighttype::regtype, o.amoppurpose)
        FROM pg_amop o JOIN pg_opfamily f ON f.oid = o.amopfamily
        WHERE f.opfname IN (SELECT c.opcname FROM pg_opclass c JOIN pg_depend d
              ON d.classid = 'pg_opclass'::regclass AND d.objid = c.oid
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm'))
        UNION ALL
        SELECT concat_ws(' | ', f.opfname, 'proc', p.amprocnum, p.amproc::oid::regprocedure,
               p.amproclefttype::regtype, p.amprocrighttype::regtype)
        FROM pg_amproc p JOIN pg_opfamily f ON f.oid = p.amprocfamily
        WHERE f.opfname IN (SELECT c.opcname FROM pg_opclass c JOIN pg_depend d
              ON d.classid = 'pg_opclass'::regclass AND d.objid = c.oid
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm'))""",
    "comments": """
        SELECT pg_describe_object(d.classid, d.objid, 0) || ': '
               || coalesce(obj_description(d.objid, c.relname::text), '(no comment)')
        FROM pg_depend d JOIN pg_class c ON c.oid = d.classid
        WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'gmm')
        UNION ALL
        SELECT 'extension: ' || coalesce(obj_description(oid, 'pg_extension'), '(no comment)')
        FROM pg_extension WHERE extname = 'gmm'""",
    "extension": """
        SELECT concat_ws(' | ', e.extversion, e.extrelocatable, n.nspname,
               coalesce(e.extconfig::text, '-'), coalesce(e.extcondition::text, '-'))
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'gmm'""",
}


def catalog(conn):
    return {name: sorted(r[0] for r in rows(conn, sql)) for name, sql in CATALOG.items()}


def compare_catalogs(upd, fresh):
    for name in CATALOG:
        a, b = upd[name], fresh[name]
        only_upd = [x for x in a if x not in b]
        only_fresh = [x for x in b if x not in a]
        detail = "\n".join(["only after UPDATE:   " + x.replace("\n", " ") for x in only_upd] +
                           ["only in fresh install: " + x.replace("\n", " ") for x in only_fresh])
        check(a == b and len(a) > 0,
              "catalog %-24s updated = fresh install (%d entries)" % (name + ":", len(b)), detail)


# -- the scripts installed on the server are this repository's ----------------

def sql_parts():
    text = open(os.path.join(REPO, "Makefile")).read()
    m = re.search(r"^SQL_PARTS\s*=((?:.*\\\n)*.*)$", text, re.M)
    return re.findall(r"src/sql/[\w.-]+\.sql", m.group(1))


def check_installed_scripts(conn, version):
    sharedir = rows(conn, "SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")[0][0]
    ext = os.path.join(sharedir, "extension")
    with open(os.path.join(REPO, "gmm--0.1.0.sql"), "rb") as f:
        frozen = f.read()
    check(hashlib.sha256(frozen).hexdigest() == SHA256_0_1_0,
          "gmm--0.1.0.sql is the released script (SHA-256 pinned; it must never change)")
    full = b"".join(open(os.path.join(REPO, p), "rb").read() for p in sql_parts())
    wanted = {"gmm--0.1.0.sql": frozen, "gmm--%s.sql" % version: full}
    for name in sorted(os.listdir(REPO)):
        if re.match(r"gmm--[\d.]+--[\d.]+\.sql$", name):
            wanted[name] = open(os.path.join(REPO, name), "rb").read()
    for name, content in sorted(wanted.items()):
        path = os.path.join(ext, name)
        try:
            with open(path, "rb") as f:
                same = f.read() == content
        except OSError as e:
            check(False, "installed %s is this repository's" % name, e)
            continue
        src = "src/sql/ parts" if name == "gmm--%s.sql" % version else "repository file"
        check(same, "installed %s equals the %s" % (name, src),
              "%s differs: run make install (PG_CONFIG of this server) first" % path)


# -- values written by gmm 0.1.0 ----------------------------------------------

FIXTURE_READ = {
    "gmm": "SELECT gmm_covariance_type(v), gmm_n_components(v), gmm_dimension(v), gmm_weights(v),"
           " gmm_means(v), gmm_covariances(v), gmm_n_rows(v), gmm_n_iter(v), gmm_converged(v),"
           " gmm_log_likelihood(v), gmm_n_parameters(v),"
           " (SELECT array_agg(gmm_logpdf(v, p) ORDER BY i) FROM fixture_points),"
           " (SELECT array_agg(gmm_predict(v, p) ORDER BY i) FROM fixture_points)"
           " FROM (SELECT %s::gmm_raw::gmm AS v) q",
    "gmm_stats": "SELECT gmm_stats_n_rows(v), gmm_stats_weight(v), gmm_stats_log_likelihood(v),"
                 " gmm_stats_counts(v), gmm_means(gmm_stats_model(v)),"
                 " gmm_weights(gmm_stats_to_model(v)), gmm_means(gmm_stats_to_model(v)),"
                 " gmm_covariances(gmm_stats_to_model(v)), gmm_log_likelihood(gmm_stats_to_model(v))"
                 " FROM (SELECT %s::gmm_raw::gmm_stats AS v) q",
}
FIXTURE_POINTS = """
CREATE TEMP TABLE fixture_points AS
SELECT i, ARRAY[i * 0.75 - 3, 1.5 - i * 0.5]::float8[] AS p FROM generate_series(0, 8) i"""


def read_fixture_values(conn, values):
    run(conn, FIXTURE_POINTS)
    out = {}
    for v in values:
        raw = "'%s'" % v["raw"].replace("'", "''")
        # store it in a table so that it is read back from disk, as a 0.1.0 value would be
        run(conn, "DROP TABLE IF EXISTS fixture_disk; CREATE TEMP TABLE fixture_disk (v gmm_raw);"
                  "INSERT INTO fixture_disk VALUES (%s::gmm_raw)" % raw)
        got = rows(conn, FIXTURE_READ[v["type"]] % "(SELECT v FROM fixture_disk)")[0]
        out[v["name"]] = json.loads(json.dumps(list(got)))
    return out


def write_fixture(path):
    """Against a server running the v0.1.0 build: write the values' raw bytes
    and what 0.1.0 reads from them."""
    conn = connect("postgres")
    run(conn, "DROP DATABASE IF EXISTS gmm_fixture")
    run(conn, "CREATE DATABASE gmm_fixture")
    c = connect("gmm_fixture")
    run(c, "CREATE EXTENSION gmm VERSION '0.1.0'")
    run(c, RAW_TYPE_SQL)
    run(c, DATA_SQL)
    vals = [{"name": n, "type": "gmm", "raw": r}
            for n, r in rows(c, "SELECT name, m::gmm_raw::text FROM models WHERE m IS NOT NULL ORDER BY name")]
    vals += [{"name": "stats_" + n, "type": "gmm_stats", "raw": r}
             for n, r in rows(c, "SELECT name, s::gmm_raw::text FROM stats ORDER BY name")]
    expect = read_fixture_values(c, vals)
    for v in vals:
        v["expect"] = expect[v["name"]]
    doc = {"written_by": "gmm 0.1.0 (tag v0.1.0), on-disk format version 1 (gmm) and 1 (gmm_stats),"
                         " x86-64 (little-endian); raw = the varlena's bytes after its length word",
           "made_with": "/usr/bin/python3 test/checks/check_upgrade.py --write-fixture FILE",
           "values": vals}
    c.close()
    run(conn, "DROP DATABASE gmm_fixture")
    with open(path, "w") as f:
        f.write('{\n "written_by": %s,\n "made_with": %s,\n "values": [\n'
                % (json.dumps(doc["written_by"]), json.dumps(doc["made_with"])))
        f.write(",\n".join("  " + json.dumps(v) for v in vals))
        f.write("\n ]\n}\n")
    print("wrote %d values to %s" % (len(vals), path))


# which results of FIXTURE_READ are the stored values themselves (compared
# bit for bit) and which are computed from them (scores, an M-step: compared
# to 1e-12 relative, as kernels may sum in another order on another CPU)
COMPUTED = {"gmm": {11}, "gmm_stats": {5, 6, 7, 8}}


def same(a, b, tol):
    """a equals b, floats within tol relative (exactly when tol is 0)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and tol > 0:
        return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300)
    return a == b


def check_fixture(conn):
    with open(FIXTURE) as f:
        doc = json.load(f)
    if sys.byteorder != "little":
        print("note: the 0.1.0 fixture is little-endian; not read on this machine")
        return
    got = read_fixture_values(conn, doc["values"])
    for v in doc["values"]:
        version = int(v["raw"][2:4], 16)
        g, e = got[v["name"]], v["expect"]
        ok = len(g) == len(e) and all(same(x, y, 1e-12 if i in COMPUTED[v["type"]] else 0)
                                      for i, (x, y) in enumerate(zip(g, e)))
        check(ok,
              "0.1.0 %s value %-18s (format version %d) reads as 0.1.0 read it" % (v["type"], v["name"], version),
              "want %s\ngot  %s" % (v["expect"], got[v["name"]]))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--write-fixture":
        write_fixture(sys.argv[2])
        return 0
    admin = connect("postgres")
    version = rows(admin, "SELECT default_version FROM pg_available_extensions WHERE name = 'gmm'")
    if not version:
        print("gmm is not installed on this server")
        return 1
    version = version[0][0]
    check(version != "0.1.0", "default version %s is newer than 0.1.0" % version)
    check_installed_scripts(admin, version)
    for db in (OLD_DB, NEW_DB):
        run(admin, "DROP DATABASE IF EXISTS %s" % db)
        run(admin, "CREATE DATABASE %s" % db)
    try:
        old = connect(OLD_DB)
        run(old, "CREATE EXTENSION gmm VERSION '0.1.0'")
        run(old, RAW_TYPE_SQL)
        run(old, DATA_SQL)
        before = snapshot(old)
        run(old, "ALTER EXTENSION gmm UPDATE")
        v = rows(old, "SELECT extversion FROM pg_extension WHERE extname = 'gmm'")[0][0]
        check(v == version, "ALTER EXTENSION gmm UPDATE: 0.1.0 -> %s" % v)
        old.close()
        old = connect(OLD_DB)  # a new session, as after a restart
        after = snapshot(old)
        diff = [(b, a) for b, a in zip(before["values"], after["values"]) if a != b]
        check(before["values"] == after["values"] and len(before["values"]) == 15,
              "%d gmm and gmm_stats values read back bit for bit (text, send, on-disk bytes)"
              % len(before["values"]), diff[:3])
        for key in ("copy_models", "copy_stats"):
            check(before[key] == after[key], "COPY ... (FORMAT binary) of %s unchanged" % key[5:])
        for q in VIEWS:
            check(before[q] == after[q] and len(before[q]) > 0,
                  "view gives the same rows after the update: %s" % q.split(" FROM ")[1].split()[0])
        new = connect(NEW_DB)
        run(new, "CREATE EXTENSION gmm")
        # the raw-bytes helper type is not part of the extension: same in both
        run(new, RAW_TYPE_SQL)
        compare_catalogs(catalog(old), catalog(new))
        new.close()
        check_fixture(old)
        old.close()
    finally:
        for db in (OLD_DB, NEW_DB):
            run(admin, "DROP DATABASE IF EXISTS %s" % db)
    print("check_upgrade: %s" % ("all checks passed" if not failures else "%d failed" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
