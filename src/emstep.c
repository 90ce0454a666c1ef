/*
 * emstep.c
 *	  The aggregates over gmm_stats: gmm_em_step (one EM iteration over the
 *	  rows) and gmm_stats_agg share the transition function that accumulates
 *	  the E-step statistics in place; gmm_stats_merge and the combine
 *	  function add statistics together; gmm_stats_to_model and gmm_em_step's
 *	  final function run the M-step.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "options.h"
#include "stats.h"

/* Per prepared model: its fingerprint and a buffer for one point */
typedef struct EmStepCache
{
	uint64		fingerprint;
	double	   *x;				/* d values */
} EmStepCache;

/* The cache hanging off a prepared model, created on first use */
static EmStepCache *
emstep_cache(GmmPrepared *p)
{
	EmStepCache *c = (EmStepCache *) p->extra;

	if (c == NULL)
	{
		c = MemoryContextAlloc(p->cxt, sizeof(EmStepCache));
		c->fingerprint = gmm_stats_fingerprint(p->model);
		c->x = MemoryContextAlloc(p->cxt, sizeof(double) * p->d);
		p->extra = c;
	}
	return c;
}

/* Error unless a row's weight is a finite non-negative number */
static inline void
check_weight(double w)
{
	if (unlikely(!(w >= 0.0) || isinf(w)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("row weight %g is not a finite non-negative number", w),
				 errhint("Give rows to ignore a weight of 0, or filter them out with WHERE.")));
}

/* Error for a row whose model differs from the one the group started with */
static void
model_changed_error(const GmmStats *s, const GmmPrepared *p, uint64 fp)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("model argument changed within one group"),
			 errdetail("The group started with a model of %d components of dimension %d (fingerprint %016llx); this row has a model of %d components of dimension %d (fingerprint %016llx).",
					   s->k, s->d, (unsigned long long) s->fingerprint,
					   p->k, p->d, (unsigned long long) fp),
			 errhint("Pass the same model to every row of a group, e.g. as a constant or a query parameter.")));
}

PG_FUNCTION_INFO_V1(gmm_stats_accum);
/*
 * Transition function of gmm_em_step and gmm_stats_agg:
 * (state gmm_stats, m gmm, x float8[] | real[] [, weight float8]).
 * The E-step of one row under m is added to the state in place; the state
 * is created in the aggregate context at the first row.  Rows with a NULL
 * model, point or weight, and rows of weight 0, are skipped.
 */
Datum
gmm_stats_accum(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_ARGISNULL(0) ? NULL : (GmmStats *) PG_GETARG_POINTER(0);
	MemoryContext aggcxt;
	GmmPrepared *p;
	EmStepCache *c;
	GmmSuff		view;
	double		w = 1.0;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (PG_NARGS() > 3 && PG_ARGISNULL(3)))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (PG_NARGS() > 3)
	{
		w = PG_GETARG_FLOAT8(3);
		check_weight(w);
		if (w == 0.0)
		{
			if (s == NULL)
				PG_RETURN_NULL();
			PG_RETURN_POINTER(s);
		}
	}
	if (!AggCheckCallContext(fcinfo, &aggcxt))
	{
		/* called as a plain function: never scribble on the argument */
		aggcxt = CurrentMemoryContext;
		if (s != NULL)
			s = gmm_stats_copy(DatumGetGmmStatsP(PG_GETARG_DATUM(0)));
	}

	p = gmm_prepared_from_arg(fcinfo, 1);
	c = emstep_cache(p);
	if (s == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		s = gmm_stats_alloc(p->model, c->fingerprint);
		MemoryContextSwitchTo(old);
	}
	else if (s->fingerprint != c->fingerprint)
		model_changed_error(s, p, c->fingerprint);

	gmm_point_read(PG_GETARG_ARRAYTYPE_P(2), p->d, c->x);
	gmm_stats_view(s, &view);
	gmm_estep_accum(p, c->x, PG_NARGS() > 3 ? &w : NULL, 1, &view);
	s->sum_w = view.sum_w;
	s->sum_ll = view.sum_ll;
	s->n_rows++;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(gmm_stats_combine);
/*
 * gmm_stats_merge(a, b): the sum of two sets of statistics of the same
 * model; NULL counts as no rows.  Also the combine function of the
 * aggregates and the transition function of the gmm_stats_merge aggregate:
 * in an aggregate the first argument is the state and is updated in place
 * (a NULL state becomes a copy of b in the aggregate context).
 */
Datum
gmm_stats_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	GmmStats   *a,
			   *b;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_GMM_STATS_P(1);
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(in_agg ? aggcxt : CurrentMemoryContext);

		a = gmm_stats_copy(b);
		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(a);
	}
	if (in_agg)
		a = (GmmStats *) PG_GETARG_POINTER(0);
	else
		a = gmm_stats_copy(PG_GETARG_GMM_STATS_P(0));
	gmm_stats_merge_into(a, b);
	PG_RETURN_POINTER(a);
}

/*
 * The M-step: the next model from the statistics, with reg_covar added to
 * the variances, validated, and carrying as fit metadata the statistics'
 * weight, the mean log-likelihood of the embedded model on the rows, and
 * its iteration count plus one.  *n_empty (if not NULL) receives the
 * number of components that lost their mass (see gmm_mstep).
 */
Gmm *
gmm_stats_mstep(const GmmStats *s, double reg_covar, int *n_empty)
{
	const Gmm  *prev = GMM_STATS_MODEL(s);
	GmmSuff		view;
	Gmm		   *m;

	if (!(s->sum_w > 0.0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot compute a model from gmm_stats without rows")));
	gmm_stats_view((GmmStats *) s, &view);
	m = gmm_mstep(&view, prev, reg_covar, n_empty);
	gmm_canonicalize(m);
	m->flags = GMM_FLAG_FITTED;
	m->n_seen = s->sum_w;
	m->log_likelihood = s->sum_ll / s->sum_w;
	m->n_iter = (GMM_IS_FITTED(prev) && prev->n_iter < PG_INT32_MAX) ? prev->n_iter + 1 : 1;
	gmm_validate(m);
	return m;
}

PG_FUNCTION_INFO_V1(gmm_em_step_final);
/* Final function of gmm_em_step: the M-step with the default reg_covar; NULL without rows */
Datum
gmm_em_step_final(PG_FUNCTION_ARGS)
{
	GmmStats   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = PG_GETARG_GMM_STATS_P(0);
	if (!(s->sum_w > 0.0))
		PG_RETURN_NULL();
	PG_RETURN_GMM_P(gmm_stats_mstep(s, GMM_DEFAULT_REG_COVAR, NULL));
}

PG_FUNCTION_INFO_V1(gmm_stats_to_model);
/* gmm_stats_to_model(stats): the M-step with the default reg_covar */
Datum
gmm_stats_to_model(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);

	PG_RETURN_GMM_P(gmm_stats_mstep(s, GMM_DEFAULT_REG_COVAR, NULL));
}

PG_FUNCTION_INFO_V1(gmm_stats_to_model_options);
/*
 * gmm_stats_to_model(stats, options): the M-step with gmm_fit's options.
 * Only reg_covar applies; covariance_type, when given, must be that of the
 * statistics; the other options are accepted so that one options object
 * serves gmm_fit, gmm_train and this function.
 */
Datum
gmm_stats_to_model_options(PG_FUNCTION_ARGS)
{
	GmmStats   *s = PG_GETARG_GMM_STATS_P(0);
	Jsonb	   *jb = PG_GETARG_JSONB_P(1);
	GmmFitOptions opts;
	const char *key = "covariance_type";

	gmm_fit_options_init(&opts);
	gmm_fit_options_parse(jb, &opts, "gmm_stats_to_model", NULL, NULL, NULL);
	if (getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL) != NULL &&
		opts.cov_type != s->cov_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("gmm_stats_to_model option \"covariance_type\" is \"%s\" but the statistics are of a \"%s\" model",
						gmm_cov_type_name(opts.cov_type), gmm_cov_type_name(s->cov_type)),
				 errhint("The covariance type is fixed by the model the statistics were collected under.")));
	PG_RETURN_GMM_P(gmm_stats_mstep(s, opts.reg_covar, NULL));
}
