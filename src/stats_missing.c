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
 *	  function; the M-step options go to gmm_stats_to_model.
 */
#include "postgres.h"

#include "fmgr.h"
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
