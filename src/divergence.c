/*
 * divergence.c
 *	  Closed-form divergences between Gaussian components: the symmetric
 *	  Kullback-Leibler divergence KL(i||j) + KL(j||i) and the Bhattacharyya
 *	  distance, as a K x K matrix over a model's components or as one number
 *	  between two single-component models.  Matrix products go through
 *	  Cholesky factors and triangular solves; nothing is inverted.
 */
#include "postgres.h"

#include <math.h>
#include <cblas.h>

#include "miscadmin.h"
#include "utils/builtins.h"

#include "gmm.h"
#include "kernel/linalg.h"

typedef enum DivMethod
{
	DIV_KL,
	DIV_BHATTACHARYYA
} DivMethod;

/* The divergence method named by a text argument */
static DivMethod
parse_method(text *t)
{
	char	   *s = text_to_cstring(t);

	if (pg_strcasecmp(s, "kl") == 0)
		return DIV_KL;
	if (pg_strcasecmp(s, "bhattacharyya") == 0)
		return DIV_BHATTACHARYYA;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown divergence method \"%s\"", s),
			 s[0] == '{'
			 ? errhint("To compare with a second model given as a literal, cast it with ::gmm.")
			 : errhint("Use \"kl\" (symmetric Kullback-Leibler) or \"bhattacharyya\".")));
	return DIV_KL;
}

/*
 * Divergence between N(mi, diag(vi)) and N(mj, diag(vj)), written with
 * (vi - vj)^2 so that equal variances cancel exactly.  Every quotient is
 * taken one factor at a time (dv/vi * dv/vj, not dv^2 / (vi vj)), so that
 * variances near the ends of float8's range neither give 0/0 nor inf/inf;
 * where 1 + dv^2 / (4 vi vj) overflows, its log comes from the logs of the
 * variances.
 */
static double
div_diag(int d, const double *mi, const double *vi, const double *mj,
		 const double *vj, DivMethod method)
{
	double		s = 0.0;

	for (int t = 0; t < d; t++)
	{
		double		delta = mi[t] - mj[t],
					dv = vi[t] - vj[t];

		if (method == DIV_KL)
			s += (dv / vi[t]) * (dv / vj[t])
				+ delta * (delta / vi[t]) + delta * (delta / vj[t]);
		else
		{
			double		h = 0.5 * vi[t] + 0.5 * vj[t],
						r = (dv / (2.0 * vi[t])) * (dv / (2.0 * vj[t]));

			s += 0.125 * delta * (delta / h);
			if (isfinite(r))
				s += 0.25 * log1p(r);
			else
				/* 1 + r = h^2 / (vi vj) */
				s += 0.5 * log(h) - 0.25 * (log(vi[t]) + log(vj[t]));
		}
	}
	return (method == DIV_KL) ? 0.5 * s : s;
}

/* |L^{-1} (mi - mj)|^2 for a lower Cholesky factor L; z is scratch (d) */
static double
maha_diff(int d, const double *L, const double *mi, const double *mj, double *z)
{
	double		q;

	for (int t = 0; t < d; t++)
		z[t] = mi[t] - mj[t];
	gmm_forward_solve(L, d, z, z);
	q = gmm_sumsq(z, d);
	/* a sum of squares is NaN only after an overflow (0 * inf): +inf */
	return isnan(q) ? INFINITY : q;
}

/* ||A^{-1} B||_F^2 for lower triangular A and B; M is scratch (d * d) */
static double
trace_term(int d, const double *A, const double *B, double *M)
{
	double		t;

	memcpy(M, B, sizeof(double) * d * d);
	cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans,
				CblasNonUnit, d, d, 1.0, A, d, M, d);
	t = gmm_sumsq(M, d * d);
	return isnan(t) ? INFINITY : t;
}

/*
 * Divergence between N(mi, Si) and N(mj, Sj) given their lower Cholesky
 * factors Li, Lj and log-determinants; work holds d * d + d doubles.
 *	 KL:  1/2 [tr(Sj^-1 Si) + tr(Si^-1 Sj) + D'(Si^-1 + Sj^-1)D] - d
 *	 Bhattacharyya:  1/8 D'S^-1 D + 1/2 log(|S| / sqrt(|Si||Sj|)), S = (Si + Sj) / 2
 */
static double
div_full(int d, const double *mi, const double *Si, const double *Li, double ldi,
		 const double *mj, const double *Sj, const double *Lj, double ldj,
		 DivMethod method, double *work)
{
	double	   *M = work,
			   *z = work + (Size) d * d;

	if (method == DIV_KL)
		return 0.5 * (trace_term(d, Lj, Li, M) + trace_term(d, Li, Lj, M)
					  + maha_diff(d, Li, mi, mj, z) + maha_diff(d, Lj, mi, mj, z)) - d;

	for (int a = 0; a < d; a++)
		for (int b = 0; b <= a; b++)
		{
			double		v = 0.25 * (Si[(Size) a * d + b] + Si[(Size) b * d + a]
									+ Sj[(Size) a * d + b] + Sj[(Size) b * d + a]);

			M[(Size) a * d + b] = M[(Size) b * d + a] = v;
		}
	if (gmm_cholesky(M, d) != 0)
		elog(ERROR, "average of two covariance matrices is not positive definite");
	return 0.125 * maha_diff(d, M, mi, mj, z)
		+ 0.5 * (gmm_chol_logdet(M, d) - 0.5 * (ldi + ldj));
}

/* Lower Cholesky factor of a validated covariance matrix, into L */
static void
factor(const double *S, int d, double *L)
{
	memcpy(L, S, sizeof(double) * d * d);
	if (gmm_cholesky(L, d) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("covariance matrix is not numerically positive definite")));
}

/* Variances of component j of a diag or spherical model, as a d-vector */
static void
variances(const Gmm *m, int j, double *v)
{
	for (int t = 0; t < m->d; t++)
		v[t] = (m->cov_type == GMM_COV_DIAG) ? GMM_COVS(m)[(Size) j * m->d + t]
			: GMM_COVS(m)[j];
}

PG_FUNCTION_INFO_V1(gmm_divergence_matrix);
/* gmm_divergence(m [, method]): float8[k][k] of divergences between components */
Datum
gmm_divergence_matrix(PG_FUNCTION_ARGS)
{
	Gmm		   *m = PG_GETARG_GMM_P(0);
	DivMethod	method = parse_method(PG_GETARG_TEXT_PP(1));
	int			k = m->k,
				d = m->d,
				dims[2] = {k, k};
	Size		dd = (Size) d * d;
	const double *mu = GMM_MEANS(m);
	double	   *out = palloc0(mul_size(sizeof(double), mul_size(k, k)));
	double	   *L = NULL,
			   *ld = NULL,
			   *vi = NULL,
			   *vj = NULL,
			   *work = NULL;

	switch (m->cov_type)
	{
		case GMM_COV_FULL:
			L = palloc(mul_size(sizeof(double), mul_size(k, dd)));
			ld = palloc(sizeof(double) * k);
			work = palloc(sizeof(double) * (dd + d));
			for (int j = 0; j < k; j++)
			{
				factor(GMM_COVS(m) + j * dd, d, L + j * dd);
				ld[j] = gmm_chol_logdet(L + j * dd, d);
			}
			break;
		case GMM_COV_TIED:
			L = palloc(sizeof(double) * dd);
			work = palloc(sizeof(double) * d);
			factor(GMM_COVS(m), d, L);
			break;
		default:
			vi = palloc(sizeof(double) * d);
			vj = palloc(sizeof(double) * d);
			break;
	}

	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
		{
			const double *mi = mu + (Size) i * d,
					   *mj = mu + (Size) j * d;
			double		v;

			CHECK_FOR_INTERRUPTS();
			switch (m->cov_type)
			{
				case GMM_COV_FULL:
					v = div_full(d, mi, GMM_COVS(m) + i * dd, L + i * dd, ld[i],
								 mj, GMM_COVS(m) + j * dd, L + j * dd, ld[j],
								 method, work);
					break;
				case GMM_COV_TIED:
					/* equal covariances: only the Mahalanobis term is left */
					v = maha_diff(d, L, mi, mj, work);
					if (method == DIV_BHATTACHARYYA)
						v *= 0.125;
					break;
				default:
					variances(m, i, vi);
					variances(m, j, vj);
					v = div_diag(d, mi, vi, mj, vj, method);
					break;
			}
			out[(Size) i * k + j] = out[(Size) j * k + i] = v;
		}
	PG_RETURN_ARRAYTYPE_P(gmm_array_nd(out, 2, dims));
}

/* Error unless m has a single component */
static void
check_single(const Gmm *m, const char *which)
{
	if (m->k != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s model has %d components, not 1", which, m->k),
				 errdetail("The divergence between two models is defined here for single Gaussians."),
				 errhint("Pick one component with gmm_component(m, i), or use gmm_collapse(m).")));
}

PG_FUNCTION_INFO_V1(gmm_divergence_pair);
/* gmm_divergence(a, b [, method]): divergence between two single-component models */
Datum
gmm_divergence_pair(PG_FUNCTION_ARGS)
{
	Gmm		   *a = PG_GETARG_GMM_P(0);
	Gmm		   *b = PG_GETARG_GMM_P(1);
	DivMethod	method = parse_method(PG_GETARG_TEXT_PP(2));
	int			d = a->d;
	Size		dd = (Size) d * d;
	bool		diag_a = (a->cov_type == GMM_COV_DIAG || a->cov_type == GMM_COV_SPHERICAL),
				diag_b = (b->cov_type == GMM_COV_DIAG || b->cov_type == GMM_COV_SPHERICAL);

	check_single(a, "first");
	check_single(b, "second");
	if (b->d != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the models have different dimensions, %d and %d", d, b->d)));
	if (diag_a && diag_b)
	{
		double	   *va = palloc(sizeof(double) * d),
				   *vb = palloc(sizeof(double) * d);

		variances(a, 0, va);
		variances(b, 0, vb);
		PG_RETURN_FLOAT8(div_diag(d, GMM_MEANS(a), va, GMM_MEANS(b), vb, method));
	}
	else
	{
		double	   *Sa = palloc(mul_size(sizeof(double), dd)),
				   *Sb = palloc(mul_size(sizeof(double), dd)),
				   *La = palloc(mul_size(sizeof(double), dd)),
				   *Lb = palloc(mul_size(sizeof(double), dd)),
				   *work = palloc(mul_size(sizeof(double), add_size(dd, d)));

		gmm_full_covariance(a, 0, Sa);
		gmm_full_covariance(b, 0, Sb);
		factor(Sa, d, La);
		factor(Sb, d, Lb);
		PG_RETURN_FLOAT8(div_full(d, GMM_MEANS(a), Sa, La, gmm_chol_logdet(La, d),
								  GMM_MEANS(b), Sb, Lb, gmm_chol_logdet(Lb, d),
								  method, work));
	}
}
