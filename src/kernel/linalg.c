/*
 * linalg.c
 *	  Dense linear algebra helpers (Cholesky, triangular solves, symmetric
 *	  eigen-decomposition) over row-major arrays, via LAPACKE and CBLAS.
 */
#include "postgres.h"

#include <math.h>
#include <lapacke.h>
#include <cblas.h>

#include "kernel/linalg.h"

/* In-place lower Cholesky; returns 0 or the failing minor's order */
int
gmm_cholesky(double *a, int d)
{
	lapack_int	info;

	info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', d, a, d);
	if (info < 0)
		elog(ERROR, "dpotrf: invalid argument %d", (int) -info);
	if (info > 0)
		return (int) info;
	for (int i = 0; i < d; i++)
		for (int j = i + 1; j < d; j++)
			a[(size_t) i * d + j] = 0.0;
	return 0;
}

/* log-determinant of L L^T */
double
gmm_chol_logdet(const double *L, int d)
{
	double		s = 0.0;

	for (int i = 0; i < d; i++)
		s += log(L[(size_t) i * d + i]);
	return 2.0 * s;
}

/* Solve L y = b by forward substitution */
void
gmm_forward_solve(const double *L, int d, const double *b, double *y)
{
	for (int i = 0; i < d; i++)
	{
		const double *row = L + (size_t) i * d;
		double		s = b[i];

		for (int j = 0; j < i; j++)
			s -= row[j] * y[j];
		y[i] = s / row[i];
	}
}

/* Solve L^T y = b by backward substitution */
void
gmm_backward_solve(const double *L, int d, const double *b, double *y)
{
	if (y != b)
		memcpy(y, b, sizeof(double) * d);
	for (int i = d - 1; i >= 0; i--)
	{
		double		s = y[i] / L[(size_t) i * d + i];

		y[i] = s;
		for (int j = 0; j < i; j++)
			y[j] -= L[(size_t) i * d + j] * s;
	}
}

/* Solve (L L^T) X = B in place */
void
gmm_chol_solve(const double *L, int d, double *B, int nrhs)
{
	lapack_int	info;

	info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', d, nrhs, L, d, B, nrhs);
	if (info != 0)
		elog(ERROR, "dpotrs failed: %d", (int) info);
}

/* Eigen-decomposition of a symmetric matrix */
int
gmm_eigh(double *a, int d, double *w)
{
	lapack_int	info;

	info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', d, a, d, w);
	if (info < 0)
		elog(ERROR, "dsyevd: invalid argument %d", (int) -info);
	return (int) info;
}

/* sum of squares */
double
gmm_sumsq(const double *v, int n)
{
	double		s = 0.0;

	for (int i = 0; i < n; i++)
		s += v[i] * v[i];
	return s;
}
