/*
 * stats_missing.c
 *	  gmm_em_step and gmm_stats_agg with options (only "missing" applies):
 *	  with "missing": "marginalize" the NULL and NaN elements of a row are
 *	  missing values.  Complete rows take the ordinary transition
 *	  (gmm_stats_accum, buffered and blocked); an incomplete row goes at
 *	  once through the E-step of kernel/missing.c into the state's sums,
 *	  which stay plain sums: the combine function, parallel query,
 *	  postgres_fdw and Citus merge them as they merge any gmm_stats.  A row
 *	  with every element missing adds nothing to the sums; the state counts
 *	  it, and the missing values of the other rows, in its observed-data
 *	  counts (GMM_STATS_FLAG_OBSERVED), which merge exactly and give
 *	  gmm_em_step's and gmm_stats_to_model's models the observed-data
 *	  section of gmm_fit's.  The other options of gmm_fit are
 *	  accepted and ignored, so that one options object serves every
 *	  function; the M-step options go to gmm_stats_to_model.  Also the
 *	  helpers and accessors of the observed-data counts.
 */
#include "postgres.h"

#include "fmgr.h"
#include "common/int.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "observed.h"
#include "options.h"
#include "score_cache.h"
#include "stats_type.h"

extern Datum gmm_stats_accum(PG_FUNCTION_ARGS);

/* the last options object read, and its "missing" (parsed once per value) */
static Jsonb *last_options = NULL;
static int	last_missing = GMM_MISSING_ERROR;

/* "missing" of the options (checking all of them, once per distinct value) */
static int
options_missing(Jsonb *jb, const char *caller)
{
	GmmFitOptions opts;

	if (last_options != NULL && VARSIZE(last_options) == VARSIZE(jb) &&
		memcmp(last_options, jb, VARSIZE(jb)) == 0)
		return last_missing;
	gmm_fit_options_init(&opts);
	gmm_fit_options_parse(jb, &opts, caller, NULL, NULL, NULL);
	if (last_options)
		pfree(last_options);
	last_options = MemoryContextAlloc(TopMemoryContext, VARSIZE(jb));
	memcpy(last_options, jb, VARSIZE(jb));
	last_missing = opts.missing;
	return last_missing;
}

/*
 * gmm_stats_accum on the same arguments without the last (the options);
 * the executor reuses fcinfo for the next row, so nargs is put back
 */
static Datum
plain_accum(FunctionCallInfo fcinfo)
{
	Datum		result;
	short		nargs = fcinfo->nargs;

	fcinfo->nargs = nargs - 1;
	PG_TRY();
	{
		result = gmm_stats_accum(fcinfo);
	}
	PG_FINALLY();
	{
		fcinfo->nargs = nargs;
	}
	PG_END_TRY();
	return result;
}

/*
 * Transition function: (state, m, x, weight, options).  With "missing":
 * "marginalize", a row with every element missing, or of weight 0, is
 * skipped; any other row goes to gmm_stats_accum, told that NULL and NaN
 * elements are missing values (an incomplete row waits in the state's
 * buffer like a complete one, and the block goes through the E-step of
 * kernel/missing.c).
 */
static Datum
accum_options(FunctionCallInfo fcinfo, bool weighted)
{
	int			oarg = weighted ? 4 : 3;
	GmmPrepared *p;
	GmmStats   *s;
	double	   *x;
	int			nmiss;
	Datum		result;

	if (PG_ARGISNULL(oarg) ||
		options_missing(PG_GETARG_JSONB_P(oarg), "gmm_em_step") != GMM_MISSING_MARGINALIZE ||
		PG_ARGISNULL(1) || PG_ARGISNULL(2) || (weighted && PG_ARGISNULL(3)))
		return plain_accum(fcinfo);
	if (weighted)
	{
		gmm_check_row_weight(PG_GETARG_FLOAT8(3), NULL, 0);
		if (PG_GETARG_FLOAT8(3) == 0.0)
			return plain_accum(fcinfo);		/* skipped, not counted */
	}
	p = gmm_prepared_from_arg(fcinfo, 1);
	x = palloc(sizeof(double) * p->d);	/* per row: the executor resets it */
	nmiss = gmm_point_read_missing(PG_GETARG_ARRAYTYPE_P(2), p->d, x);
	pfree(x);
	if (nmiss == p->d)
	{
		/* every element missing: nothing to the sums, counted as skipped */
		if (PG_ARGISNULL(0))
			s = gmm_stats_alloc(p->model, gmm_stats_fingerprint(p->model));
		else if (AggCheckCallContext(fcinfo, NULL) != 0)
			s = (GmmStats *) PG_GETARG_POINTER(0);
		else
		{
			/* called as a plain function: never scribble on the argument */
			GmmStats   *arg = DatumGetGmmStatsP(PG_GETARG_DATUM(0));

			s = gmm_stats_settled(arg);
			if (s == arg)
				s = gmm_stats_copy(arg);
		}
		s = gmm_stats_make_observed(s);
		gmm_stats_add_observed(s, 1, 0);
		PG_RETURN_POINTER(s);
	}
	gmm_stats_accum_marginalize = true;
	PG_TRY();
	{
		result = plain_accum(fcinfo);
	}
	PG_FINALLY();
	{
		gmm_stats_accum_marginalize = false;
	}
	PG_END_TRY();
	/* the state (in an aggregate) or a new value: counted in place */
	s = gmm_stats_make_observed((GmmStats *) DatumGetPointer(result));
	gmm_stats_add_observed(s, 0, nmiss);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(gmm_stats_accum_weighted_options);
/* transition of gmm_em_step(m, x, weight, options) and gmm_stats_agg(m, x, weight, options) */
Datum
gmm_stats_accum_weighted_options(PG_FUNCTION_ARGS)
{
	return accum_options(fcinfo, true);
}

/* ---------------------------------------------------------------------
 * The observed-data counts of gmm_stats (GMM_STATS_FLAG_OBSERVED)
 * ---------------------------------------------------------------------
 */

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
