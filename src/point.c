/*
 * point.c
 *	  Points as SQL arrays: reading float8[] and real[] points with their
 *	  checks (one dimension, no NULL, NaN or infinity, the right length),
 *	  building float8[] results, lists of dimensions, and the row-weight
 *	  error.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "gmm.h"

/*
 * The length of a point array whose elements may be NULL (gmm_fit's
 * "missing": "marginalize"): an error unless it is a one-dimensional
 * float8[] or real[]
 */
int
gmm_point_length_missing(ArrayType *a)
{
	Oid			t = ARR_ELEMTYPE(a);

	if (t != FLOAT8OID && t != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("gmm points must be float8[] or real[], not %s[]", format_type_be(t))));
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("gmm point must be a one-dimensional array, not %d-dimensional", ARR_NDIM(a)),
				 ARR_NDIM(a) == 0 ? errhint("The point is an empty array.") : 0));
	return ARR_DIMS(a)[0];
}

/* Error unless a is a one-dimensional float8[] or real[] without NULLs */
static void
check_point_array(ArrayType *a)
{
	(void) gmm_point_length_missing(a);
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("gmm point must not contain NULL elements"),
				 errhint("Remove such rows with a WHERE clause, or fill the gaps with gmm_impute.")));
}

/* The length of a point array, after checking its type and shape */
int
gmm_point_length(ArrayType *a)
{
	check_point_array(a);
	return ARR_DIMS(a)[0];
}

/* Error for a non-finite element */
static void
bad_element(double x, int i)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s not allowed in gmm point", isnan(x) ? "NaN" : "infinity"),
			 errdetail("Element %d is %s.", i + 1, isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity")));
}

/* Read a point of dimension d into out, with every check */
void
gmm_point_read(ArrayType *a, int d, double *out)
{
	int			n = gmm_point_length(a);

	if (n != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("point has dimension %d but the model has dimension %d", n, d)));
	if (ARR_ELEMTYPE(a) == FLOAT8OID)
	{
		const double *v = (const double *) ARR_DATA_PTR(a);
		int			bad = 0;

		for (int i = 0; i < d; i++)
		{
			out[i] = v[i];
			bad |= !isfinite(v[i]);
		}
		if (unlikely(bad))
			for (int i = 0; i < d; i++)
				if (!isfinite(v[i]))
					bad_element(v[i], i);
	}
	else
	{
		const float *v = (const float *) ARR_DATA_PTR(a);

		for (int i = 0; i < d; i++)
		{
			out[i] = v[i];
			if (unlikely(!isfinite(v[i])))
				bad_element(v[i], i);
		}
	}
}

/*
 * Read the point in an array datum as gmm_point_read does, without first
 * copying an array stored with a short (1-byte) header, as every array of
 * up to 13 float8 (27 real) values is stored in a table: the detoaster
 * would copy it to realign it, once per row.  Such an array's fields are
 * read where they are, unaligned.  Anything but a one-dimensional float8[]
 * or real[] of length d without a NULL bitmap and of the exact size takes
 * the general path, which reports the error.
 */
void
gmm_point_read_datum(Datum datum, int d, double *out)
{
	const struct varlena *v = (const struct varlena *) DatumGetPointer(datum);

	if (VARATT_IS_SHORT(v))
	{
		/* the fields after the array's 4-byte length word, then the data */
		struct
		{
			int32		ndim;
			int32		dataoffset;
			Oid			elemtype;
			int32		dim;
			int32		lbound;
		}			h;
		const char *body = VARDATA_SHORT(v);
		Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;
		Size		head = ARR_OVERHEAD_NONULLS(1) - VARHDRSZ;

		StaticAssertStmt(sizeof(h) == ARR_OVERHEAD_NONULLS(1) - VARHDRSZ,
						 "unexpected array header size");
		if (len >= sizeof(h))
		{
			memcpy(&h, body, sizeof(h));
			if (h.ndim == 1 && h.dataoffset == 0 && h.dim == d &&
				h.elemtype == FLOAT8OID && len == head + sizeof(double) * d)
			{
				int			bad = 0;

				memcpy(out, body + head, sizeof(double) * d);
				for (int i = 0; i < d; i++)
					bad |= !isfinite(out[i]);
				if (unlikely(bad))
					for (int i = 0; i < d; i++)
						if (!isfinite(out[i]))
							bad_element(out[i], i);
				return;
			}
			if (h.ndim == 1 && h.dataoffset == 0 && h.dim == d &&
				h.elemtype == FLOAT4OID && len == head + sizeof(float) * d)
			{
				for (int i = 0; i < d; i++)
				{
					float		f;

					memcpy(&f, body + head + sizeof(float) * i, sizeof(float));
					out[i] = f;
					if (unlikely(!isfinite(f)))
						bad_element(f, i);
				}
				return;
			}
		}
	}
	gmm_point_read(DatumGetArrayTypeP(datum), d, out);
}

/* A one-dimensional float8[] of n values */
ArrayType *
gmm_array_1d(const double *v, int n)
{
	return gmm_array_nd(v, 1, &n);
}

/* A float8 array of the given shape, filled row-major from v */
ArrayType *
gmm_array_nd(const double *v, int ndims, const int *dims)
{
	int			lbs[MAXDIM];
	Size		n = 1,
				nbytes;
	ArrayType  *a;

	for (int i = 0; i < ndims; i++)
	{
		lbs[i] = 1;
		n = mul_size(n, dims[i]);
	}
	nbytes = add_size(ARR_OVERHEAD_NONULLS(ndims), mul_size(n, sizeof(double)));
	a = (ArrayType *) palloc(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = ndims;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	memcpy(ARR_DIMS(a), dims, sizeof(int) * ndims);
	memcpy(ARR_LBOUND(a), lbs, sizeof(int) * ndims);
	memcpy(ARR_DATA_PTR(a), v, n * sizeof(double));
	return a;
}

/*
 * All values of a float8[] or real[] of any shape as a palloc'd double
 * array, in row-major order; NULL, NaN and infinite elements are errors
 * naming "what".  An empty array gives *n = 0.
 */
double *
gmm_array_values(ArrayType *a, int *n, const char *what)
{
	Oid			t = ARR_ELEMTYPE(a);
	int			cnt = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	double	   *out;

	if (t != FLOAT8OID && t != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be float8[] or real[], not %s[]", what, format_type_be(t))));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
	out = palloc(sizeof(double) * (cnt > 0 ? cnt : 1));
	for (int i = 0; i < cnt; i++)
	{
		double		x = (t == FLOAT8OID) ? ((const double *) ARR_DATA_PTR(a))[i]
			: (double) ((const float *) ARR_DATA_PTR(a))[i];

		if (!isfinite(x))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s not allowed in %s", isnan(x) ? "NaN" : "infinity", what),
					 errdetail("Element %d is %s.", i + 1, isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity")));
		out[i] = x;
	}
	*n = cnt;
	return out;
}

/*
 * Read a list of 1-based dimensions into a palloc'd array of 0-based ones,
 * in the given order.  The list must be one-dimensional, non-empty, without
 * NULLs or duplicates, within 1..d; unless allow_all, it must also leave
 * at least one dimension out (else "cannot <verb> every dimension").
 */
int *
gmm_read_dims(ArrayType *a, int d, int *n, bool allow_all, const char *verb)
{
	int			cnt;
	int32	   *v;
	int		   *out;
	bool	   *seen;

	if (ARR_ELEMTYPE(a) != INT4OID)
		elog(ERROR, "dims must be int[]");
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("dims must be a one-dimensional array, not %d-dimensional", ARR_NDIM(a))));
	cnt = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (cnt == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dims must not be empty"),
				 errhint("List dimensions numbered from 1, for example ARRAY[1, 2].")));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("dims must not contain NULL elements")));
	v = (int32 *) ARR_DATA_PTR(a);
	out = palloc(sizeof(int) * cnt);
	seen = palloc0(sizeof(bool) * d);
	for (int i = 0; i < cnt; i++)
	{
		if (v[i] < 1 || v[i] > d)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dimension %d is out of range", v[i]),
					 errdetail("The model has %d dimension%s, numbered from 1 to %d.",
							   d, d == 1 ? "" : "s", d)));
		if (seen[v[i] - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dimension %d is listed more than once in dims", v[i])));
		seen[v[i] - 1] = true;
		out[i] = v[i] - 1;
	}
	if (!allow_all && cnt == d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot %s every dimension", verb),
				 d == 1 ? errdetail("dims lists the only dimension of the model, so none would remain.")
				 : errdetail("dims lists all %d dimensions of the model, so none would remain.", d)));
	pfree(seen);
	*n = cnt;
	return out;
}

/* The error of gmm_check_row_weight: w is not a finite non-negative number */
void
gmm_row_weight_error(double w, const char *caller, int64 row)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 caller ? errmsg("%s: row weight %g is not a finite non-negative number", caller, w)
			 : errmsg("row weight %g is not a finite non-negative number", w),
			 row > 0 ? errdetail("Row " INT64_FORMAT " of the input has this weight.", row) : 0,
			 errhint("Rows of weight 0 are ignored; filter out the others with WHERE.")));
}
