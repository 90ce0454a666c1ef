/*
 * observed.c
 *	  Incomplete rows on the SQL side: reading points with missing elements,
 *	  the observed-data section of a fitted model (GMM_FLAG_OBSERVED, see
 *	  kernel/model.h and kernel/missing.h) and its accessors gmm_n_rows_used,
 *	  gmm_n_rows_skipped and gmm_n_values_missing.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "observed.h"

/* Read a point whose NULL and NaN elements are missing */
int
gmm_point_read_missing(ArrayType *a, int d, double *out)
{
	Oid			t = ARR_ELEMTYPE(a);
	bits8	   *nulls = ARR_HASNULL(a) ? ARR_NULLBITMAP(a) : NULL;
	char	   *ptr = ARR_DATA_PTR(a);
	int			n = gmm_point_length_missing(a),
				missing = 0;

	if (n != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("point has dimension %d but the model has dimension %d", n, d)));
	for (int i = 0; i < d; i++)
	{
		double		v;

		if (nulls && !(nulls[i / 8] & (1 << (i % 8))))
			v = NAN;
		else if (t == FLOAT8OID)
		{
			memcpy(&v, ptr, sizeof(double));
			ptr += sizeof(double);
		}
		else
		{
			float		f;

			memcpy(&f, ptr, sizeof(float));
			ptr += sizeof(float);
			v = f;
		}
		if (isinf(v))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("infinity not allowed in gmm point"),
					 errdetail("Element %d is %s.", i + 1, v > 0 ? "Infinity" : "-Infinity")));
		if (isnan(v))
		{
			v = NAN;			/* one NaN, whatever its sign and payload */
			missing++;
		}
		out[i] = v;
	}
	return missing;
}

/* m with the observed-data section */
Gmm *
gmm_with_observed(const Gmm *m, double rows_used, double rows_skipped,
				  double values_missing)
{
	double		v[GMM_OBS_FIELDS];

	v[GMM_OBS_ROWS_USED] = rows_used;
	v[GMM_OBS_ROWS_SKIPPED] = rows_skipped;
	v[GMM_OBS_VALUES_MISSING] = values_missing;
	return gmm_with_section(m, GMM_FLAG_OBSERVED, v, GMM_OBS_FIELDS);
}

/* Value "field" of m's observed-data section, or false when it has none */
static bool
observed_field(FunctionCallInfo fcinfo, int field, double *out)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int			n;
	const double *v = gmm_section(m, GMM_FLAG_OBSERVED, &n);

	if (v == NULL || n <= field)
		return false;
	*out = v[field];
	return true;
}

PG_FUNCTION_INFO_V1(gmm_n_rows_used);
/* rows a fit on incomplete rows used; NULL for other models */
Datum
gmm_n_rows_used(PG_FUNCTION_ARGS)
{
	double		v;

	if (!observed_field(fcinfo, GMM_OBS_ROWS_USED, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) v);
}

PG_FUNCTION_INFO_V1(gmm_n_rows_skipped);
/* rows a fit on incomplete rows skipped (every value missing) */
Datum
gmm_n_rows_skipped(PG_FUNCTION_ARGS)
{
	double		v;

	if (!observed_field(fcinfo, GMM_OBS_ROWS_SKIPPED, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) v);
}

PG_FUNCTION_INFO_V1(gmm_n_values_missing);
/* missing values in the rows a fit on incomplete rows used */
Datum
gmm_n_values_missing(PG_FUNCTION_ARGS)
{
	double		v;

	if (!observed_field(fcinfo, GMM_OBS_VALUES_MISSING, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) v);
}
