/*
 * stats_observed.c
 *	  The observed-data counts of gmm_stats values collected with
 *	  "missing": "marginalize" (GMM_STATS_FLAG_OBSERVED, see stats_type.h):
 *	  rows skipped because every value was missing and values missing in
 *	  the rows accumulated, two int64 at the end of the value.  Adding a
 *	  pair to a value, adding to them with overflow checks, and the SQL
 *	  accessors gmm_stats_n_rows_skipped and gmm_stats_n_values_missing.
 */
#include "postgres.h"

#include "fmgr.h"
#include "common/int.h"

#include "stats_type.h"

/*
 * s with the observed-data counts (zero when s had none): s itself if it
 * has them, else a copy in CurrentMemoryContext one count pair longer
 * (pending rows kept in place)
 */
GmmStats *
gmm_stats_make_observed(GmmStats *s)
{
	GmmStats   *c;

	if (s->flags & GMM_STATS_FLAG_OBSERVED)
		return s;
	c = (GmmStats *) palloc(VARSIZE(s) + 2 * sizeof(int64));
	memcpy(c, s, VARSIZE(s));
	SET_VARSIZE(c, VARSIZE(s) + 2 * sizeof(int64));
	c->flags |= GMM_STATS_FLAG_OBSERVED;
	GMM_STATS_OBS(c)[0] = GMM_STATS_OBS(c)[1] = 0;
	return c;
}

/* One observed-data count plus n, with an error beyond GMM_STATS_MAX_ROWS */
static void
add_count(int64 *count, int64 n, const char *what)
{
	int64		sum;

	if (unlikely(pg_add_s64_overflow(*count, n, &sum) || sum > GMM_STATS_MAX_ROWS))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("gmm_stats count of %s overflows: " INT64_FORMAT " + " INT64_FORMAT,
						what, *count, n),
				 errdetail("A gmm_stats value counts at most " INT64_FORMAT ".",
						   (int64) GMM_STATS_MAX_ROWS)));
	*count = sum;
}

/* Add to the observed-data counts of s (which must have them) */
void
gmm_stats_add_observed(GmmStats *s, int64 rows_skipped, int64 values_missing)
{
	Assert(s->flags & GMM_STATS_FLAG_OBSERVED);
	add_count(&GMM_STATS_OBS(s)[0], rows_skipped, "rows skipped");
	add_count(&GMM_STATS_OBS(s)[1], values_missing, "missing values");
}

PG_FUNCTION_INFO_V1(gmm_stats_n_rows_skipped);
/*
 * rows skipped because every value was missing ("missing": "marginalize");
 * NULL for statistics collected without that option
 */
Datum
gmm_stats_n_rows_skipped(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);

	if (!(s->flags & GMM_STATS_FLAG_OBSERVED))
		PG_RETURN_NULL();
	PG_RETURN_INT64(GMM_STATS_OBS(s)[0]);
}

PG_FUNCTION_INFO_V1(gmm_stats_n_values_missing);
/* missing values of the rows accumulated; NULL as above */
Datum
gmm_stats_n_values_missing(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);

	if (!(s->flags & GMM_STATS_FLAG_OBSERVED))
		PG_RETURN_NULL();
	PG_RETURN_INT64(GMM_STATS_OBS(s)[1]);
}
