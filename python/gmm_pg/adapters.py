"""psycopg2 and psycopg 3 adapters for the gmm type and numpy points.

register(conn) looks up the gmm type of the connection's database (installed
by CREATE EXTENSION gmm, in whatever schema) and then:

* a gmm column (and a gmm[] column) arrives as GaussianMixtureModel objects;
* a GaussianMixtureModel passed as a query parameter is sent as a gmm value;
* a numpy array passed as a query parameter is sent as a float8[] (a point
  for a 1-D array, a float8[][] for a 2-D one), every float exactly.

psycopg 3: the adapters are registered on that connection only, for text
and binary results (cursor(binary=True)).  psycopg2: the gmm loaders are
registered on that connection; psycopg2 has only global parameter adapters,
so the GaussianMixtureModel and numpy adapters apply to every connection of
the process once register() has been called.
"""
import numpy as np

from .model import GaussianMixtureModel

__all__ = ["register", "GmmTypeNotFound"]

FLOAT8_ARRAY_OID = 1022

_LOOKUP = """
SELECT t.oid, t.typarray, format_type(t.oid, NULL)
FROM pg_extension e
JOIN pg_type t ON t.typnamespace = e.extnamespace AND t.typname = 'gmm'
WHERE e.extname = 'gmm'
"""


class GmmTypeNotFound(LookupError):
    """The connection's database has no gmm extension."""


def _lookup(cur):
    """(oid, array oid, SQL name) of the gmm type, via a cursor."""
    cur.execute(_LOOKUP)
    row = cur.fetchone()
    if row is None:
        raise GmmTypeNotFound(
            "the gmm extension is not installed in this database; "
            "run CREATE EXTENSION gmm first")
    return row


def _array_literal(a):
    """A PostgreSQL array literal of a numeric numpy array, floats exact."""
    if a.dtype.kind not in "biuf":
        raise TypeError("only numeric numpy arrays can be sent as float8[], not dtype %s" % a.dtype)
    if a.ndim == 0:
        raise TypeError("a 0-d numpy array is a scalar, not a point: pass float(a)")
    a = a.astype(np.float64)

    def fmt(v):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)

    def rec(x):
        if x.ndim == 1:
            return "{" + ",".join(fmt(float(v)) for v in x) + "}"
        return "{" + ",".join(rec(s) for s in x) + "}"

    if a.size == 0:
        if a.ndim > 1:
            raise ValueError("an empty numpy array must be 1-D to be sent as float8[], got shape %s"
                             % (a.shape,))
        return "{}"
    return rec(a)


# ----------------------------------------------------------------------
# psycopg2
def _register_psycopg2(conn):
    import psycopg2.extensions as ext

    idle = conn.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE
    try:
        with conn.cursor() as cur:
            oid, array_oid, sql_name = _lookup(cur)
    finally:
        if idle and not conn.autocommit:
            conn.rollback()     # leave no transaction open that was not open before

    def cast(value, cur):
        if value is None:
            return None
        return GaussianMixtureModel.from_json(value)

    gmm_type = ext.new_type((oid,), "GMM", cast)
    ext.register_type(gmm_type, conn)
    ext.register_type(ext.new_array_type((array_oid,), "GMMARRAY", gmm_type), conn)

    class GmmAdapter:
        """Quote a GaussianMixtureModel as '<json>'::gmm."""

        def __init__(self, model):
            self.model = model

        def getquoted(self):
            lit = ext.QuotedString(self.model.to_json()).getquoted()
            return lit + b"::" + sql_name.encode("utf-8")

    class NumpyAdapter:
        """Quote a numpy array as '{...}'::float8[]."""

        def __init__(self, a):
            self.lit = _array_literal(a)

        def getquoted(self):
            return b"'" + self.lit.encode("ascii") + b"'::float8[]"

    ext.register_adapter(GaussianMixtureModel, GmmAdapter)
    ext.register_adapter(np.ndarray, NumpyAdapter)
    # numpy scalars that are not Python float subclasses
    ext.register_adapter(np.floating, lambda v: ext.AsIs(_scalar_literal(v)))
    ext.register_adapter(np.integer, lambda v: ext.AsIs(int(v)))
    return oid


def _scalar_literal(v):
    v = float(v)
    if v != v:
        return "'NaN'::float8"
    if v in (float("inf"), float("-inf")):
        return "'Infinity'::float8" if v > 0 else "'-Infinity'::float8"
    return repr(v) + "::float8"


# ----------------------------------------------------------------------
# psycopg 3
def _register_psycopg3(conn):
    from psycopg.adapt import Dumper, Loader
    from psycopg.pq import Format, TransactionStatus
    from psycopg.types import TypeInfo

    idle = conn.info.transaction_status == TransactionStatus.IDLE
    try:
        with conn.cursor() as cur:
            oid, array_oid, sql_name = _lookup(cur)
    finally:
        if idle and not conn.autocommit:
            conn.rollback()     # leave no transaction open that was not open before
    # register the type and its array type (so gmm[] loads and dumps too)
    info = TypeInfo(sql_name, oid, array_oid)
    info.register(conn)

    class GmmTextLoader(Loader):
        format = Format.TEXT

        def load(self, data):
            return GaussianMixtureModel.from_json(bytes(data))

    class GmmBinaryLoader(Loader):
        format = Format.BINARY

        def load(self, data):
            return GaussianMixtureModel.from_binary(data)

    class GmmTextDumper(Dumper):
        format = Format.TEXT

        def dump(self, obj):
            return obj.to_json().encode("utf-8")

    class GmmBinaryDumper(Dumper):
        format = Format.BINARY

        def dump(self, obj):
            return obj.to_binary()

    GmmTextDumper.oid = GmmBinaryDumper.oid = oid

    class NumpyDumper(Dumper):
        format = Format.TEXT
        oid = FLOAT8_ARRAY_OID

        def dump(self, obj):
            return _array_literal(obj).encode("ascii")

    class NumpyFloatDumper(Dumper):
        format = Format.TEXT
        oid = 701

        def dump(self, obj):
            v = float(obj)
            if v != v:
                return b"NaN"
            if v in (float("inf"), float("-inf")):
                return b"Infinity" if v > 0 else b"-Infinity"
            return repr(v).encode("ascii")

    class NumpyIntDumper(Dumper):
        format = Format.TEXT
        oid = 20

        def dump(self, obj):
            return str(int(obj)).encode("ascii")

    a = conn.adapters
    a.register_loader(oid, GmmTextLoader)
    a.register_loader(oid, GmmBinaryLoader)
    a.register_dumper(GaussianMixtureModel, GmmTextDumper)
    a.register_dumper(GaussianMixtureModel, GmmBinaryDumper)
    a.register_dumper(np.ndarray, NumpyDumper)
    for t in (np.float64, np.float32, np.float16):
        a.register_dumper(t, NumpyFloatDumper)
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32):
        a.register_dumper(t, NumpyIntDumper)
    return oid


def register(conn):
    """Register the gmm and numpy adapters on a psycopg2 or psycopg 3
    connection; returns the oid of the gmm type.

    Raises GmmTypeNotFound when the database has no gmm extension and
    TypeError for anything that is not a psycopg2 or psycopg 3 connection.
    """
    mod = type(conn).__module__.split(".")[0]
    if mod == "psycopg2":
        return _register_psycopg2(conn)
    if mod == "psycopg":
        return _register_psycopg3(conn)
    raise TypeError("register() needs a psycopg2 or psycopg 3 connection, not %s.%s"
                    % (type(conn).__module__, type(conn).__name__))
