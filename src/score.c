/*
 * score.c
 *	  Scoring rows against a model: gmm_pdf, gmm_logpdf, gmm_component_pdf,
 *	  gmm_predict, gmm_predict_proba, and the gmm_score / gmm_bic / gmm_aic
 *	  aggregates over held-out rows.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "gmm.h"
#include "kernel/fitopts.h"
#include "score_cache.h"

/*
 * Decode the point in argument argno + 1 for the model in argument argno and
 * return it; *lp is set to k doubles of scratch space for the weighted
 * component log densities (both live in the prepared model's work area).
 */
static double *
read_point(FunctionCallInfo fcinfo, int argno, GmmPrepared **pp, double **lp)
{
	GmmPrepared *p = gmm_prepared_from_arg(fcinfo, argno);
	double	   *x = p->work + p->d;		/* gmm_weighted_logpdfs uses work[0..d) */

	*lp = p->work + 2 * p->d;
	gmm_point_read_datum(PG_GETARG_DATUM(argno + 1), p->d, x);
	*pp = p;
	return x;
}

/* As read_point, then fill lp and return log p(x) */
static double
score_point_at(FunctionCallInfo fcinfo, int argno, GmmPrepared **pp, double **lp)
{
	double	   *x = read_point(fcinfo, argno, pp, lp);

	return gmm_point_logpdf(*pp, x, *lp);
}

#define score_point(fcinfo, pp, lp) score_point_at(fcinfo, 0, pp, lp)

PG_FUNCTION_INFO_V1(gmm_logpdf);
/* natural log of the mixture density at x */
Datum
gmm_logpdf(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	double	   *lp;

	PG_RETURN_FLOAT8(score_point(fcinfo, &p, &lp));
}

PG_FUNCTION_INFO_V1(gmm_pdf);
/* mixture density at x */
Datum
gmm_pdf(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	double	   *lp;

	PG_RETURN_FLOAT8(exp(score_point(fcinfo, &p, &lp)));
}

PG_FUNCTION_INFO_V1(gmm_component_pdf);
/* weighted per-component densities w_j N(x | mu_j, Sigma_j) */
Datum
gmm_component_pdf(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	double	   *lp;
	double	   *x = read_point(fcinfo, 0, &p, &lp);

	gmm_weighted_logpdfs(p, x, lp);
	for (int j = 0; j < p->k; j++)
		lp[j] = exp(lp[j]);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(lp, p->k));
}

PG_FUNCTION_INFO_V1(gmm_component_logpdf);
/* weighted per-component log densities */
Datum
gmm_component_logpdf(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	double	   *lp;
	double	   *x = read_point(fcinfo, 0, &p, &lp);

	gmm_weighted_logpdfs(p, x, lp);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(lp, p->k));
}

PG_FUNCTION_INFO_V1(gmm_predict);
/* the most probable component, 1-based (the first one on ties) */
Datum
gmm_predict(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	double	   *lp;
	double	   *x = read_point(fcinfo, 0, &p, &lp);
	int			best;

	gmm_point_posterior(p, x, lp, NULL, &best);
	PG_RETURN_INT32(best + 1);
}

PG_FUNCTION_INFO_V1(gmm_predict_proba);
/* responsibilities p(j | x), normalised to sum to 1 */
Datum
gmm_predict_proba(PG_FUNCTION_ARGS)
{
	GmmPrepared *p;
	double	   *lp;
	double	   *x = read_point(fcinfo, 0, &p, &lp);
	int			best;

	gmm_point_posterior(p, x, lp, lp + p->k, &best);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(lp + p->k, p->k));
}

/* ---------------------------------------------------------------------
 * gmm_score / gmm_bic / gmm_aic aggregates.  The state is a float8[3]
 * {rows, sum of log-likelihoods, free parameters}, so that the combine
 * function can add partial states from parallel workers.  Rows may be
 * scored by different models (gmm_score is then the mean log-likelihood
 * under each row's model); the parameter count becomes -1 when the models
 * disagree on it, and gmm_bic / gmm_aic refuse such a state.
 * ---------------------------------------------------------------------
 */

/* fold a parameter count into the state's */
static void
merge_nparams(double *s, double rows, double nparams)
{
	if (s[0] == 0)
		s[2] = nparams;
	else if (rows != 0 && s[2] != nparams)
		s[2] = -1;
}

/* the state's parameter count, or an error if the rows' models disagreed */
static double
state_nparams(const double *s, const char *agg)
{
	if (s[2] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs models with the same number of parameters for every row", agg),
				 errhint("Use one model per aggregate, e.g. with GROUP BY the model's key.")));
	return s[2];
}

#define SCORE_STATE_LEN 3

/* The three values of a score state, checked */
static double *
score_state(ArrayType *a)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != SCORE_STATE_LEN ||
		ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "gmm score state must be a float8[%d]", SCORE_STATE_LEN);
	return (double *) ARR_DATA_PTR(a);
}

PG_FUNCTION_INFO_V1(gmm_score_accum);
/* transition: add one row's log-likelihood */
Datum
gmm_score_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	GmmPrepared *p;
	double	   *lp;
	double		ll;
	double	   *s;

	ll = score_point_at(fcinfo, 1, &p, &lp);

	if (!AggCheckCallContext(fcinfo, NULL))
		state = (ArrayType *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	s = score_state(state);
	merge_nparams(s, 1.0, gmm_n_parameters(p->model));
	s[0] += 1.0;
	s[1] += ll;
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(gmm_score_combine);
/* combine: add two partial states */
Datum
gmm_score_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	double	   *sa,
			   *sb;

	if (!AggCheckCallContext(fcinfo, NULL))
		a = (ArrayType *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	sa = score_state(a);
	sb = score_state(b);
	merge_nparams(sa, sb[0], sb[2]);
	sa[0] += sb[0];
	sa[1] += sb[1];
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(gmm_score_final);
/* final: mean log-likelihood per row, NULL for no rows */
Datum
gmm_score_final(PG_FUNCTION_ARGS)
{
	double	   *s = score_state(PG_GETARG_ARRAYTYPE_P(0));

	if (s[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s[1] / s[0]);
}

PG_FUNCTION_INFO_V1(gmm_bic_final);
/* final: -2 sum log-likelihood + p ln n */
Datum
gmm_bic_final(PG_FUNCTION_ARGS)
{
	double	   *s = score_state(PG_GETARG_ARRAYTYPE_P(0));

	if (s[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gmm_information_criterion(GMM_CRITERION_BIC, s[1], s[0],
											   state_nparams(s, "gmm_bic")));
}

PG_FUNCTION_INFO_V1(gmm_aic_final);
/* final: -2 sum log-likelihood + 2 p */
Datum
gmm_aic_final(PG_FUNCTION_ARGS)
{
	double	   *s = score_state(PG_GETARG_ARRAYTYPE_P(0));

	if (s[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(gmm_information_criterion(GMM_CRITERION_AIC, s[1], s[0],
											   state_nparams(s, "gmm_aic")));
}
