/*
 * infer.c
 *	  Inference on a fitted mixture: marginals, conditionals (Schur
 *	  complements by Cholesky solves, weights in log space), Gaussian mixture
 *	  regression, imputation of missing elements, a single component and the
 *	  moment-matched single Gaussian.  Conditioning factorisations are cached
 *	  per query in the prepared model's "extra" slot, keyed by the list of
 *	  observed dimensions.
 */
#include "postgres.h"

#include <math.h>
#include <cblas.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "gmm.h"
#include "score_cache.h"
#include "kernel/linalg.h"

/*
 * Everything needed to condition a model on a fixed set of observed
 * dimensions A (in the caller's order), leaving the other dimensions B (in
 * increasing order).  For full (nfac = k) and tied (nfac = 1) models, per
 * factor f:
 *	 chol  + f * na * na:	L, the lower Cholesky factor of S_AA
 *	 gain  + f * na * nb:	G = S_AA^{-1} S_AB, so E[x_B | a] = mu_B + G^T (a - mu_A)
 *	 schur + f * nb * nb:	S_BB - S_BA S_AA^{-1} S_AB, the conditional covariance
 * For diag and spherical models (nfac = 0) the dimensions are independent:
 * inv_std (k * na) holds 1 / sigma of the observed dimensions and the
 * conditional of B is its marginal.
 * log_norm[j] = log w_j - na/2 log(2 pi) - 1/2 log |S_AA,j|.
 */
typedef struct GmmCond
{
	MemoryContext cxt;			/* holds this struct and its arrays */
	int			k;
	int			d;
	int			cov_type;
	int			na;				/* observed dimensions */
	int			nb;				/* remaining dimensions */
	int		   *obs;			/* na, 0-based, caller's order */
	int		   *rest;			/* nb, 0-based, increasing */
	const double *means;		/* k * d, the model's (not owned) */
	int			nfac;
	double	   *chol;
	double	   *gain;
	double	   *schur;
	double	   *inv_std;
	double	   *log_norm;		/* k */
	double	   *work;			/* scratch: na */
} GmmCond;

/* conditioning factorisations kept per query (round robin beyond this) */
#define GMM_COND_SLOTS 8

typedef struct GmmCondSet
{
	GmmCond    *slot[GMM_COND_SLOTS];
	int			next;
} GmmCondSet;

/* ---------------------------------------------------------------------
 * Argument readers
 * ---------------------------------------------------------------------
 */

/*
 * Read exactly n finite values from a one-dimensional float8[] or real[]
 * named "what" (to match a dims list of length n).
 */
static double *
gmm_read_values(ArrayType *a, int n, const char *what)
{
	int			cnt;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array, not %d-dimensional", what, ARR_NDIM(a))));
	cnt = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	if (cnt != n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s has %d element%s but dims has %d", what, cnt, cnt == 1 ? "" : "s", n),
				 errhint("Pass one value for each dimension listed in dims, in the same order.")));
	/* element type, NULL, NaN and infinity checks */
	return gmm_array_values(a, &cnt, what);
}

/* ---------------------------------------------------------------------
 * Conditioning kernels
 * ---------------------------------------------------------------------
 */

/* Build the conditioning factorisation of model m on the observed dims */
static GmmCond *
cond_build(const Gmm *m, const int *obs, int na, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "gmm conditioning",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	GmmCond    *c = palloc0(sizeof(GmmCond));
	int			k = m->k,
				d = m->d,
				nb = d - na;
	const double *w = GMM_WEIGHTS(m);
	const double *cov = GMM_COVS(m);
	bool	   *isobs = palloc0(sizeof(bool) * d);

	Assert(na >= 1 && na < d);
	elog(DEBUG1, "gmm: factorizing the model for %d observed dimension%s",
		 na, na == 1 ? "" : "s");
	c->cxt = cxt;
	c->k = k;
	c->d = d;
	c->cov_type = m->cov_type;
	c->na = na;
	c->nb = nb;
	c->obs = palloc(sizeof(int) * na);
	memcpy(c->obs, obs, sizeof(int) * na);
	c->rest = palloc(sizeof(int) * nb);
	for (int i = 0; i < na; i++)
		isobs[obs[i]] = true;
	for (int i = 0, r = 0; i < d; i++)
		if (!isobs[i])
			c->rest[r++] = i;
	c->log_norm = palloc(sizeof(double) * k);
	c->work = palloc(sizeof(double) * na);
	c->means = GMM_MEANS(m);

	if (m->cov_type == GMM_COV_FULL || m->cov_type == GMM_COV_TIED)
	{
		Size		aa = (Size) na * na,
					ab = (Size) na * nb,
					bb = (Size) nb * nb;

		c->nfac = (m->cov_type == GMM_COV_FULL) ? k : 1;
		c->chol = palloc(mul_size(sizeof(double), mul_size(c->nfac, aa)));
		c->gain = palloc(mul_size(sizeof(double), mul_size(c->nfac, ab)));
		c->schur = palloc(mul_size(sizeof(double), mul_size(c->nfac, bb)));
		for (int f = 0; f < c->nfac; f++)
		{
			const double *S = cov + (Size) f * d * d;
			double	   *L = c->chol + f * aa;
			double	   *G = c->gain + f * ab;
			double	   *C = c->schur + f * bb;
			double		logdet;

			CHECK_FOR_INTERRUPTS();
			for (int i = 0; i < na; i++)
			{
				for (int t = 0; t < na; t++)
					L[(Size) i * na + t] = S[(Size) obs[i] * d + obs[t]];
				for (int t = 0; t < nb; t++)
					G[(Size) i * nb + t] = S[(Size) obs[i] * d + c->rest[t]];
			}
			for (int i = 0; i < nb; i++)
				for (int t = 0; t < nb; t++)
					C[(Size) i * nb + t] = S[(Size) c->rest[i] * d + c->rest[t]];
			if (gmm_cholesky(L, na) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("covariance of the observed dimensions of component %d is not positive definite", f + 1),
						 errhint("The model is numerically singular; refit it with a larger reg_covar.")));
			logdet = gmm_chol_logdet(L, na);
			/* W = L^{-1} S_AB; Schur = S_BB - W^T W; G = L^{-T} W */
			cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans,
						CblasNonUnit, na, nb, 1.0, L, na, G, nb);
			cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, nb, na,
						-1.0, G, nb, 1.0, C, nb);
			for (int i = 0; i < nb; i++)
				for (int t = i + 1; t < nb; t++)
					C[(Size) i * nb + t] = C[(Size) t * nb + i];
			cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans,
						CblasNonUnit, na, nb, 1.0, L, na, G, nb);
			if (m->cov_type == GMM_COV_TIED)
				for (int j = 0; j < k; j++)
					c->log_norm[j] = log(w[j]) - 0.5 * na * GMM_LOG_2PI - 0.5 * logdet;
			else
				c->log_norm[f] = log(w[f]) - 0.5 * na * GMM_LOG_2PI - 0.5 * logdet;
		}
	}
	else
	{
		c->inv_std = palloc(mul_size(sizeof(double), mul_size(k, na)));
		for (int j = 0; j < k; j++)
		{
			double		logdet = 0.0;

			for (int i = 0; i < na; i++)
			{
				double		v = (m->cov_type == GMM_COV_DIAG)
					? cov[(Size) j * d + obs[i]] : cov[j];

				c->inv_std[(Size) j * na + i] = 1.0 / sqrt(v);
				logdet += log(v);
			}
			c->log_norm[j] = log(w[j]) - 0.5 * na * GMM_LOG_2PI - 0.5 * logdet;
		}
	}
	pfree(isobs);
	MemoryContextSwitchTo(old);
	return c;
}

/*
 * The conditioning factorisation of the prepared model on the observed
 * dims (0-based, in this order), from the per-query cache or built anew.
 */
static GmmCond *
gmm_cond_lookup(GmmPrepared *prep, const int *obs, int na)
{
	GmmCondSet *set = (GmmCondSet *) prep->extra;
	GmmCond    *c;

	if (set == NULL)
	{
		set = MemoryContextAllocZero(prep->cxt, sizeof(GmmCondSet));
		prep->extra = set;
	}
	for (int s = 0; s < GMM_COND_SLOTS; s++)
	{
		c = set->slot[s];
		if (c != NULL && c->na == na && memcmp(c->obs, obs, sizeof(int) * na) == 0)
			return c;
	}
	c = set->slot[set->next];
	if (c != NULL)
		MemoryContextDelete(c->cxt);
	set->slot[set->next] = NULL;
	c = cond_build(prep->model, obs, na, prep->cxt);
	set->slot[set->next] = c;
	set->next = (set->next + 1) % GMM_COND_SLOTS;
	return c;
}

/*
 * z = L^{-1} (a - mu_A) for component j (scaled differences for diag and
 * spherical); returns |z|^2.
 */
static double
cond_whiten(const GmmCond *c, int j, const double *a, double *z)
{
	const double *mu = c->means + (Size) j * c->d;
	int			na = c->na;
	double		q = 0.0;

	if (c->nfac > 0)
	{
		const double *L = c->chol + (Size) (c->nfac > 1 ? j : 0) * na * na;

		for (int i = 0; i < na; i++)
		{
			const double *row = L + (Size) i * na;
			double		s = a[i] - mu[c->obs[i]];

			for (int t = 0; t < i; t++)
				s -= row[t] * z[t];
			z[i] = s / row[i];
			q += z[i] * z[i];
		}
	}
	else
	{
		const double *is = c->inv_std + (Size) j * na;

		for (int i = 0; i < na; i++)
		{
			z[i] = (a[i] - mu[c->obs[i]]) * is[i];
			q += z[i] * z[i];
		}
	}
	return q;
}

/*
 * Log posterior weights of the components given the observed values a:
 * logw[j] = log(w_j N(a | mu_A,j, S_AA,j)) normalised by log-sum-exp.  When
 * a is so far away that the densities overflow (or rounding could decide),
 * the exact path of prepare.c works on the observed block's factors, so
 * that the nearer component still gets the weight.
 */
static void
gmm_cond_weights(const GmmCond *c, const double *a, double *logw)
{
	double	   *z = c->work;
	double		lse;
	GmmPrepared view;
	double	   *mu,
			   *lp;
	int			best;

	for (int j = 0; j < c->k; j++)
		logw[j] = isinf(c->log_norm[j]) ? -INFINITY
			: c->log_norm[j] - 0.5 * cond_whiten(c, j, a, z);
	lse = gmm_logsumexp(logw, c->k);
	if (isfinite(lse) && lse > -1e6)
	{
		for (int j = 0; j < c->k; j++)
			logw[j] -= lse;
		return;
	}
	memset(&view, 0, sizeof(view));
	view.k = c->k;
	view.d = c->na;
	view.cov_type = c->cov_type;
	view.log_norm = c->log_norm;
	view.chol = (c->nfac > 0) ? c->chol : NULL;
	view.chol_stride = (c->nfac > 1) ? (Size) c->na * c->na : 0;
	view.inv_std = (c->nfac > 0) ? NULL : c->inv_std;
	mu = palloc(sizeof(double) * ((Size) c->k * c->na + c->k));
	lp = mu + (Size) c->k * c->na;
	for (int j = 0; j < c->k; j++)
		for (int i = 0; i < c->na; i++)
			mu[(Size) j * c->na + i] = c->means[(Size) j * c->d + c->obs[i]];
	view.means = mu;
	gmm_point_posterior_exact(&view, a, lp, logw, &best);
	for (int j = 0; j < c->k; j++)
		logw[j] = log(logw[j]);
	pfree(mu);
}

/* Conditional mean of the remaining dims under component j: mu_B + G^T (a - mu_A) */
static void
gmm_cond_mean(const GmmCond *c, int j, const double *a, double *out)
{
	const double *mu = c->means + (Size) j * c->d;
	int			na = c->na,
				nb = c->nb;

	for (int b = 0; b < nb; b++)
		out[b] = mu[c->rest[b]];
	if (c->nfac > 0)
	{
		const double *G = c->gain + (Size) (c->nfac > 1 ? j : 0) * na * nb;

		for (int i = 0; i < na; i++)
		{
			const double *row = G + (Size) i * nb;
			double		diff = a[i] - mu[c->obs[i]];

			for (int b = 0; b < nb; b++)
				out[b] += row[b] * diff;
		}
	}
}

/*
 * The mixture's conditional mean of the remaining dims given a (the
 * regression value), into out (nb values); logw (k) is scratch.
 */
static void
cond_regress(const GmmCond *c, const double *a, double *logw, double *mean_j, double *out)
{
	gmm_cond_weights(c, a, logw);
	memset(out, 0, sizeof(double) * c->nb);
	for (int j = 0; j < c->k; j++)
	{
		double		wj = exp(logw[j]);

		if (wj == 0.0)
			continue;
		gmm_cond_mean(c, j, a, mean_j);
		for (int b = 0; b < c->nb; b++)
			out[b] += wj * mean_j[b];
	}
}

/* Overall mean of the mixture: sum_j w_j mu_j / sum_j w_j */
static void
mixture_mean(const Gmm *m, double *out)
{
	const double *w = GMM_WEIGHTS(m);
	const double *mu = GMM_MEANS(m);
	int			d = m->d;
	double		wsum = 0.0;

	memset(out, 0, sizeof(double) * d);
	for (int j = 0; j < m->k; j++)
	{
		wsum += w[j];
		for (int i = 0; i < d; i++)
			out[i] += w[j] * mu[(Size) j * d + i];
	}
	for (int i = 0; i < d; i++)
		out[i] /= wsum;
}

/* ---------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(gmm_marginal);
/* gmm_marginal(m, dims): the mixture over dims, in that order, same covariance type */
Datum
gmm_marginal(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int			k = m->k,
				d = m->d,
				n;
	int		   *dims = gmm_read_dims(PG_GETARG_ARRAYTYPE_P(1), d, &n, true, NULL);
	Gmm		   *r = gmm_alloc(m->cov_type, k, n);
	const double *mu = GMM_MEANS(m);
	const double *c = GMM_COVS(m);
	double	   *rc = GMM_COVS(r);

	memcpy(GMM_WEIGHTS(r), GMM_WEIGHTS(m), sizeof(double) * k);
	for (int j = 0; j < k; j++)
		for (int i = 0; i < n; i++)
			GMM_MEANS(r)[(Size) j * n + i] = mu[(Size) j * d + dims[i]];
	switch (m->cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			{
				int			nmat = (m->cov_type == GMM_COV_FULL) ? k : 1;

				for (int j = 0; j < nmat; j++)
					for (int i = 0; i < n; i++)
						for (int t = 0; t < n; t++)
							rc[((Size) j * n + i) * n + t] =
								c[((Size) j * d + dims[i]) * d + dims[t]];
				break;
			}
		case GMM_COV_DIAG:
			for (int j = 0; j < k; j++)
				for (int i = 0; i < n; i++)
					rc[(Size) j * n + i] = c[(Size) j * d + dims[i]];
			break;
		case GMM_COV_SPHERICAL:
			memcpy(rc, c, sizeof(double) * k);
			break;
	}
	gmm_validate(r);
	PG_RETURN_GMM_P(r);
}

PG_FUNCTION_INFO_V1(gmm_condition);
/*
 * gmm_condition(m, dims, values): p(x_rest | x_dims = values) as a model
 * over the remaining dims (increasing order), same covariance type.
 */
Datum
gmm_condition(PG_FUNCTION_ARGS)
{
	GmmPrepared *prep = gmm_prepared_from_arg(fcinfo, 0);
	const Gmm  *m = prep->model;
	int			k = m->k,
				na;
	int		   *dims = gmm_read_dims(PG_GETARG_ARRAYTYPE_P(1), m->d, &na, false, "condition on");
	double	   *a = gmm_read_values(PG_GETARG_ARRAYTYPE_P(2), na, "vals");
	GmmCond    *c = gmm_cond_lookup(prep, dims, na);
	int			nb = c->nb;
	Gmm		   *r = gmm_alloc(m->cov_type, k, nb);
	double	   *logw = palloc(sizeof(double) * k);
	double	   *rc = GMM_COVS(r);
	double		wsum = 0.0;

	gmm_cond_weights(c, a, logw);
	for (int j = 0; j < k; j++)
	{
		GMM_WEIGHTS(r)[j] = exp(logw[j]);
		wsum += GMM_WEIGHTS(r)[j];
		gmm_cond_mean(c, j, a, GMM_MEANS(r) + (Size) j * nb);
	}
	for (int j = 0; j < k; j++)
		GMM_WEIGHTS(r)[j] /= wsum;
	switch (m->cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			memcpy(rc, c->schur, mul_size(sizeof(double), gmm_cov_count(m->cov_type, k, nb)));
			break;
		case GMM_COV_DIAG:
			for (int j = 0; j < k; j++)
				for (int b = 0; b < nb; b++)
					rc[(Size) j * nb + b] = GMM_COVS(m)[(Size) j * m->d + c->rest[b]];
			break;
		case GMM_COV_SPHERICAL:
			memcpy(rc, GMM_COVS(m), sizeof(double) * k);
			break;
	}
	gmm_validate(r);
	PG_RETURN_GMM_P(r);
}

PG_FUNCTION_INFO_V1(gmm_regress);
/*
 * gmm_regress(m, dims, values): E[x_rest | x_dims = values], the remaining
 * dims in increasing order (Gaussian mixture regression).
 */
Datum
gmm_regress(PG_FUNCTION_ARGS)
{
	GmmPrepared *prep = gmm_prepared_from_arg(fcinfo, 0);
	int			na;
	int		   *dims = gmm_read_dims(PG_GETARG_ARRAYTYPE_P(1), prep->d, &na, false, "regress on");
	double	   *a = gmm_read_values(PG_GETARG_ARRAYTYPE_P(2), na, "vals");
	GmmCond    *c = gmm_cond_lookup(prep, dims, na);
	double	   *logw = palloc(sizeof(double) * prep->k);
	double	   *tmp = palloc(sizeof(double) * c->nb);
	double	   *out = palloc(sizeof(double) * c->nb);

	cond_regress(c, a, logw, tmp, out);
	PG_RETURN_ARRAYTYPE_P(gmm_array_1d(out, c->nb));
}

PG_FUNCTION_INFO_V1(gmm_impute);
/*
 * gmm_impute(m, x): x with its NULL and NaN elements replaced by their
 * conditional mean given the other elements; float8[] in, float8[] out,
 * real[] in, real[] out.
 */
Datum
gmm_impute(PG_FUNCTION_ARGS)
{
	GmmPrepared *prep = gmm_prepared_from_arg(fcinfo, 0);
	ArrayType  *x = PG_GETARG_ARRAYTYPE_P(1);
	Oid			t = ARR_ELEMTYPE(x);
	bool		is8 = (t == FLOAT8OID);
	int			d = prep->d,
				n,
				nmiss = 0,
				na = 0;
	Datum	   *elems;
	bool	   *nulls;
	double	   *v;
	bool	   *miss;
	int		   *obs;
	double	   *a;

	if (t != FLOAT8OID && t != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("gmm points must be float8[] or real[], not %s[]", format_type_be(t))));
	if (ARR_NDIM(x) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("gmm point must be a one-dimensional array, not %d-dimensional", ARR_NDIM(x))));
	n = ArrayGetNItems(ARR_NDIM(x), ARR_DIMS(x));
	if (n != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("point has dimension %d but the model has dimension %d", n, d)));
	deconstruct_array(x, t, is8 ? 8 : 4, is8 ? FLOAT8PASSBYVAL : true,
					  is8 ? TYPALIGN_DOUBLE : TYPALIGN_INT, &elems, &nulls, &n);
	v = palloc(sizeof(double) * d);
	miss = palloc(sizeof(bool) * d);
	obs = palloc(sizeof(int) * d);
	a = palloc(sizeof(double) * d);
	for (int i = 0; i < d; i++)
	{
		v[i] = nulls[i] ? NAN : is8 ? DatumGetFloat8(elems[i]) : DatumGetFloat4(elems[i]);
		miss[i] = isnan(v[i]);
		if (isinf(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("infinity not allowed in gmm point"),
					 errdetail("Element %d is %s.", i + 1, v[i] > 0 ? "Infinity" : "-Infinity")));
		if (miss[i])
			nmiss++;
		else
		{
			obs[na] = i;
			a[na++] = v[i];
		}
	}
	if (nmiss == 0)
		PG_RETURN_ARRAYTYPE_P(x);

	if (na == 0)
		mixture_mean(prep->model, v);
	else
	{
		GmmCond    *c = gmm_cond_lookup(prep, obs, na);
		double	   *logw = palloc(sizeof(double) * prep->k);
		double	   *tmp = palloc(sizeof(double) * c->nb);
		double	   *out = palloc(sizeof(double) * c->nb);

		cond_regress(c, a, logw, tmp, out);
		for (int b = 0; b < c->nb; b++)
			v[c->rest[b]] = out[b];
	}
	for (int i = 0; i < d; i++)
		elems[i] = is8 ? Float8GetDatum(v[i]) : Float4GetDatum((float4) v[i]);
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, NULL, 1, ARR_DIMS(x), ARR_LBOUND(x),
											 t, is8 ? 8 : 4, is8 ? FLOAT8PASSBYVAL : true,
											 is8 ? TYPALIGN_DOUBLE : TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(gmm_component);
/* gmm_component(m, i): component i (1-based) as a one-component model of the same type */
Datum
gmm_component(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int32		i = PG_GETARG_INT32(1);
	int			d = m->d;
	Gmm		   *r;

	if (i < 1 || i > m->k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("component %d is out of range", i),
				 errdetail("The model has %d component%s, numbered from 1 to %d.",
						   m->k, m->k == 1 ? "" : "s", m->k)));
	r = gmm_alloc(m->cov_type, 1, d);
	GMM_WEIGHTS(r)[0] = 1.0;
	memcpy(GMM_MEANS(r), GMM_MEANS(m) + (Size) (i - 1) * d, sizeof(double) * d);
	switch (m->cov_type)
	{
		case GMM_COV_FULL:
			memcpy(GMM_COVS(r), GMM_COVS(m) + (Size) (i - 1) * d * d, sizeof(double) * d * d);
			break;
		case GMM_COV_TIED:
			memcpy(GMM_COVS(r), GMM_COVS(m), sizeof(double) * d * d);
			break;
		case GMM_COV_DIAG:
			memcpy(GMM_COVS(r), GMM_COVS(m) + (Size) (i - 1) * d, sizeof(double) * d);
			break;
		case GMM_COV_SPHERICAL:
			GMM_COVS(r)[0] = GMM_COVS(m)[i - 1];
			break;
	}
	gmm_validate(r);
	PG_RETURN_GMM_P(r);
}

PG_FUNCTION_INFO_V1(gmm_collapse);
/*
 * gmm_collapse(m): the single full-covariance Gaussian with the mixture's
 * mean and covariance: sum_j w_j (Sigma_j + (mu_j - mu)(mu_j - mu)^T).
 */
Datum
gmm_collapse(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	int			k = m->k,
				d = m->d;
	Size		dd = (Size) d * d;
	const double *w = GMM_WEIGHTS(m);
	const double *mu = GMM_MEANS(m);
	Gmm		   *r = gmm_alloc(GMM_COV_FULL, 1, d);
	double	   *mean = GMM_MEANS(r);
	double	   *C = GMM_COVS(r);
	double	   *S = palloc(sizeof(double) * dd);
	double	   *diff = palloc(sizeof(double) * d);
	double		wsum = 0.0;

	GMM_WEIGHTS(r)[0] = 1.0;
	mixture_mean(m, mean);
	for (int j = 0; j < k; j++)
	{
		double		wj = w[j];

		CHECK_FOR_INTERRUPTS();
		wsum += wj;
		if (wj == 0.0)
			continue;
		gmm_full_covariance(m, j, S);
		for (int i = 0; i < d; i++)
			diff[i] = mu[(Size) j * d + i] - mean[i];
		for (int i = 0; i < d; i++)
			for (int t = 0; t <= i; t++)
				C[(Size) i * d + t] += wj * (0.5 * (S[(Size) i * d + t] + S[(Size) t * d + i])
											 + diff[i] * diff[t]);
	}
	for (int i = 0; i < d; i++)
		for (int t = 0; t <= i; t++)
		{
			C[(Size) i * d + t] /= wsum;
			C[(Size) t * d + i] = C[(Size) i * d + t];
		}
	gmm_validate(r);
	PG_RETURN_GMM_P(r);
}
