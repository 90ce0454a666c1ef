/*
 * stats_missing.c
 *	  gmm_em_step and gmm_stats_agg with options (only "missing" applies):
 *	  with "missing": "marginalize" the NULL and NaN elements of a row are
 *	  missing values.  Complete rows take the ordinary transition
 *	  (gmm_stats_accum, buffered and blocked); an incomplete row goes at
 *	  once through the E-step of kernel/missing.c into the state's sums,
 *	  which stay plain sums: the combine function, parallel query,
 *	  postgres_fdw and Citus merge them as they merge any gmm_stats.  A row
 *	  with every element missing is skipped, like a NULL row (the gmm_stats
 *	  value has no field to count it).  The other options of gmm_fit are
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

/* The per-pattern cache of a prepared model, and the model's fingerprint */
typedef struct MissStep
{
	const GmmPrepared *p;
	GmmMissCache *cache;
	uint64		fingerprint;
	double	   *x;
} MissStep;

static MissStep *last_step = NULL;

/* Forget last_step when its memory goes (with the prepared model) */
static void
forget_step(void *arg)
{
	if (last_step == arg)
		last_step = NULL;
}

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

/* The MissStep of prepared model p, built in a child of its context */
static MissStep *
miss_step(const GmmPrepared *p)
{
	MemoryContext cxt;
	MissStep   *ms;
	MemoryContextCallback *cb;

	if (last_step != NULL && last_step->p == p)
		return last_step;
	cxt = AllocSetContextCreate(p->cxt, "gmm_em_step missing", ALLOCSET_SMALL_SIZES);
	ms = MemoryContextAlloc(cxt, sizeof(MissStep));
	ms->p = p;
	ms->cache = gmm_miss_cache_create(p, cxt);
	ms->fingerprint = gmm_stats_fingerprint(p->model);
	ms->x = MemoryContextAlloc(cxt, sizeof(double) * p->d);
	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = forget_step;
	cb->arg = ms;
	MemoryContextRegisterResetCallback(cxt, cb);
	last_step = ms;
	return ms;
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
 * Transition function: (state, m, x, options) or (state, m, x, weight,
 * options)
 */
static Datum
accum_options(FunctionCallInfo fcinfo, bool weighted)
{
	int			oarg = weighted ? 4 : 3;
	GmmStats   *s = PG_ARGISNULL(0) ? NULL : (GmmStats *) PG_GETARG_POINTER(0);
	GmmPrepared *p;
	MissStep   *ms;
	double		w = 1.0;
	int			nmiss;
	bool		in_agg;
	GmmSuff		view;

	if (PG_ARGISNULL(oarg) ||
		options_missing(PG_GETARG_JSONB_P(oarg), "gmm_em_step") != GMM_MISSING_MARGINALIZE ||
		PG_ARGISNULL(1) || PG_ARGISNULL(2) || (weighted && PG_ARGISNULL(3)))
	{
		/* the ordinary transition, without the options argument */
		return plain_accum(fcinfo);
	}
	p = gmm_prepared_from_arg(fcinfo, 1);
	ms = miss_step(p);
	nmiss = gmm_point_read_missing(PG_GETARG_ARRAYTYPE_P(2), p->d, ms->x);
	if (weighted)
	{
		w = PG_GETARG_FLOAT8(3);
		gmm_check_row_weight(w, NULL, 0);
	}
	if (nmiss == 0 || nmiss == p->d || w == 0.0)
	{
		if (nmiss == 0)
			return plain_accum(fcinfo);
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}

	in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	if (!in_agg && s != NULL)
	{
		/* called as a plain function: never scribble on the argument */
		GmmStats   *arg = DatumGetGmmStatsP(PG_GETARG_DATUM(0));

		s = gmm_stats_settled(arg);
		if (s == arg)
			s = gmm_stats_copy(arg);
	}
	if (s == NULL)
		s = gmm_stats_alloc(p->model, ms->fingerprint);
	else if (s->fingerprint != ms->fingerprint || s->k != p->k || s->d != p->d ||
			 s->cov_type != p->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model argument changed within one group"),
				 errhint("Pass the same model to every row of a group, e.g. as a constant or a query parameter.")));
	gmm_stats_view(s, &view);
	gmm_estep_missing(ms->cache, ms->x, weighted ? &w : NULL, 1, &view, NULL);
	s->sum_w = view.sum_w;
	s->sum_ll = view.sum_ll;
	gmm_stats_add_rows(s, 1);
	gmm_stats_check_range(s);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(gmm_stats_accum_weighted_options);
/* transition of gmm_em_step(m, x, weight, options) and gmm_stats_agg(m, x, weight, options) */
Datum
gmm_stats_accum_weighted_options(PG_FUNCTION_ARGS)
{
	return accum_options(fcinfo, true);
}
