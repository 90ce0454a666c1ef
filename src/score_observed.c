/*
 * score_observed.c
 *	  Scoring incomplete points by their observed dimensions:
 *	  gmm_logpdf_observed, gmm_predict_observed,
 *	  gmm_predict_proba_observed, and the aggregate gmm_score_observed (the
 *	  mean of gmm_logpdf_observed over the rows with an observed element,
 *	  in gmm_score's state so that gmm_score's combine and final functions
 *	  serve it).  NULL and NaN elements are missing; the
 *	  result is that of the marginal mixture over the observed dimensions
 *	  (the same as gmm_logpdf etc. for a complete point, bit for bit), and
 *	  NULL for a point with every element missing.  The prepared model comes
 *	  from the per-query cache of score_cache.c, with the per-pattern
 *	  factorisations of kernel/missing.c hanging off it.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "catalog/pg_type.h"
#include "utils/array.h"

#include "observed.h"
#include "score_cache.h"

/* what hangs off a prepared model for these functions */
typedef struct ObservedScore
{
	GmmMissCache *cache;
	double	   *x;				/* d */
	double	   *lp;				/* k */
} ObservedScore;

/*
 * Read the point in argument marg + 1 for the model in argument marg into
 * the prepared model's ObservedScore; returns its number of missing
 * elements
 */
static int
read_observed_at(FunctionCallInfo fcinfo, int marg, GmmPrepared **pp,
				 ObservedScore **osp)
{
	GmmPrepared *p = gmm_prepared_from_arg(fcinfo, marg);
	ObservedScore *os = (ObservedScore *) p->extra;

	if (os == NULL)
	{
		os = MemoryContextAlloc(p->cxt, sizeof(ObservedScore));
		os->cache = gmm_miss_cache_of(p);
		os->x = MemoryContextAlloc(p->cxt, sizeof(double) * p->d);
		os->lp = MemoryContextAlloc(p->cxt, sizeof(double) * 2 * p->k);
		p->extra = os;
	}
	*pp = p;
	*osp = os;
	return gmm_point_read_missing(PG_GETARG_ARRAYTYPE_P(marg + 1), p->d, os->x);
}

/* the same for the model in argument 0 and the point in argument 1 */
static int
read_observed(FunctionCallInfo fcinfo, GmmPrepared **pp, ObservedScore **osp)
{
	return read_observed_at(fcinfo, 0, pp, osp);
}

/*
 * The responsibilities (into os->lp + k, unless resp is false) and the
 * most probable component of an incomplete point; a complete one goes
 * through gmm_point_posterior, as gmm_predict and gmm_predict_proba
 */
static int
posterior_observed(GmmPrepared *p, ObservedScore *os, int nmiss, bool resp)
{
	double	   *lp = os->lp,
			   *r = os->lp + p->k,
				mx,
				sum = 0.0;
	int			best = 0;

	if (nmiss == 0)
	{
		gmm_point_posterior(p, os->x, lp, resp ? r : NULL, &best);
		return best;
	}
	gmm_observed_logpdf(os->cache, os->x, lp);
	for (int j = 1; j < p->k; j++)
		if (lp[j] > lp[best])
			best = j;
	if (!resp)
		return best;
	mx = lp[best];
	for (int j = 0; j < p->k; j++)
	{
		r[j] = isinf(mx) ? (j == best) : exp(lp[j] - mx);
		sum += r[j];
	}
	for (int j = 0; j < p->k; j++)
		r[j] /= sum;
	return best;
}

PG_FUNCTION_INFO_V1(gmm_logpdf_observed);
/* log of the marginal mixture density of x's observed dimensions */
Datum
gmm_logpdf_observed(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	ObservedScore *os;

	if (read_observed(fcinfo, &p, &os) == p->d)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gmm_observed_logpdf(os->cache, os->x, os->lp));
}

PG_FUNCTION_INFO_V1(gmm_predict_observed);
/* the most probable component (1-based, the first on ties) given x's observed dimensions */
Datum
gmm_predict_observed(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	ObservedScore *os;
	int			nmiss = read_observed(fcinfo, &p, &os);

	if (nmiss == p->d)
		PG_RETURN_NULL();
	PG_RETURN_INT32(posterior_observed(p, os, nmiss, false) + 1);
}

PG_FUNCTION_INFO_V1(gmm_predict_proba_observed);
/* responsibilities given x's observed dimensions, summing to 1 */
Datum
gmm_predict_proba_observed(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	ObservedScore *os;
	int			nmiss = read_observed(fcinfo, &p, &os);

	if (nmiss == p->d)
		PG_RETURN_NULL();
	posterior_observed(p, os, nmiss, true);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(os->lp + p->k, p->k));
}

PG_FUNCTION_INFO_V1(gmm_score_observed_accum);
/*
 * Transition of gmm_score_observed: (state float8[3], m, x).  The state is
 * gmm_score's (rows, sum of log-likelihoods, parameters of the model); a
 * row with every element missing is skipped.
 */
Datum
gmm_score_observed_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	GmmPrepared *p;
	ObservedScore *os;
	double		ll,
				np,
			   *s;

	if (read_observed_at(fcinfo, 1, &p, &os) == p->d)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	ll = gmm_observed_logpdf(os->cache, os->x, os->lp);
	if (AggCheckCallContext(fcinfo, NULL))
		state = PG_GETARG_ARRAYTYPE_P(0);
	else
		state = PG_GETARG_ARRAYTYPE_P_COPY(0);
	if (ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] != 3 ||
		ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID)
		elog(ERROR, "gmm score state must be a float8[3]");
	s = (double *) ARR_DATA_PTR(state);
	np = gmm_n_parameters(p->model);
	/* the parameter count, -1 when the rows' models disagree (as gmm_score) */
	if (s[0] == 0)
		s[2] = np;
	else if (s[2] != np)
		s[2] = -1;
	s[0] += 1.0;
	s[1] += ll;
	PG_RETURN_ARRAYTYPE_P(state);
}
