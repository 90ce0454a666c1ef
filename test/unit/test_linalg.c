/*
 * test_linalg.c
 *	  Unit tests of kernel/linalg.c: Cholesky factor and log-determinant of
 *	  a known matrix, the failing leading minor, forward solves, eigenvalues.
 */
#include "postgres.h"

#include "unit.h"
#include "kernel/linalg.h"

/* the factor of a known SPD matrix, its upper part zeroed, and log det = log 60 */
UNIT_TEST(linalg_cholesky_known_matrix)
{
	double		a[9] = {4, 2, 0, 2, 5, 3, 0, 3, 6};
	double		L[9] = {2, 0, 0, 1, 2, 0, 0, 1.5, sqrt(3.75)};

	UNIT_CHECK(gmm_cholesky(a, 3) == 0, "not positive definite");
	for (int i = 0; i < 9; i++)
		UNIT_CLOSE(a[i], L[i], 1e-15);
	UNIT_CHECK(a[1] == 0.0 && a[2] == 0.0 && a[5] == 0.0, "upper part not zeroed");
	/* det = 4 (5 * 6 - 3 * 3) - 2 (2 * 6) = 60 */
	UNIT_CLOSE(gmm_chol_logdet(a, 3), log(60.0), 1e-14);
}

/* the order of the first leading minor that is not positive definite */
UNIT_TEST(linalg_cholesky_not_positive_definite)
{
	double		a[4] = {1, 2, 2, 1};
	double		b[9] = {1, 0, 0, 0, 1, 0, 0, 0, -1};
	double		one[1] = {0};

	UNIT_CHECK(gmm_cholesky(a, 2) == 2, "{{1,2},{2,1}}: expected order 2");
	UNIT_CHECK(gmm_cholesky(b, 3) == 3, "diag(1,1,-1): expected order 3");
	UNIT_CHECK(gmm_cholesky(one, 1) == 1, "{{0}}: expected order 1");
}

/* L y = b for b = L x gives back x, also in place */
UNIT_TEST(linalg_forward_solve)
{
	double		L[9] = {2, 0, 0, 1, 2, 0, 0, 1.5, sqrt(3.75)};
	double		x[3] = {1, -2, 3};
	double		b[3],
				y[3];

	for (int i = 0; i < 3; i++)
	{
		b[i] = 0.0;
		for (int j = 0; j <= i; j++)
			b[i] += L[i * 3 + j] * x[j];
	}
	gmm_forward_solve(L, 3, b, y);
	for (int i = 0; i < 3; i++)
		UNIT_CLOSE(y[i], x[i], 1e-15);
	gmm_forward_solve(L, 3, b, b);
	for (int i = 0; i < 3; i++)
		UNIT_CLOSE(b[i], x[i], 1e-15);
}

/* ascending eigenvalues, orthonormal eigenvectors that diagonalise */
UNIT_TEST(linalg_eigh)
{
	double		a[9] = {3, 0, 0, 0, 1, 0, 0, 0, 2};
	double		b[4] = {2, 1, 1, 2};
	double		w[3];

	UNIT_CHECK(gmm_eigh(a, 3, w) == 0, "eigh failed");
	UNIT_CLOSE(w[0], 1.0, 1e-15);
	UNIT_CLOSE(w[1], 2.0, 1e-15);
	UNIT_CLOSE(w[2], 3.0, 1e-15);
	/* column 0 is +-e2, column 1 +-e3, column 2 +-e1 */
	UNIT_CLOSE(fabs(a[1 * 3 + 0]), 1.0, 1e-15);
	UNIT_CLOSE(fabs(a[2 * 3 + 1]), 1.0, 1e-15);
	UNIT_CLOSE(fabs(a[0 * 3 + 2]), 1.0, 1e-15);

	UNIT_CHECK(gmm_eigh(b, 2, w) == 0, "eigh failed");
	UNIT_CLOSE(w[0], 1.0, 1e-15);
	UNIT_CLOSE(w[1], 3.0, 1e-15);
	/* eigenvector of 3 is (1, 1) / sqrt 2 up to sign */
	UNIT_CLOSE(fabs(b[0 * 2 + 1]), M_SQRT1_2, 1e-15);
	UNIT_CLOSE(b[0 * 2 + 1] * b[1 * 2 + 1], 0.5, 1e-15);
}

/* the sum of squares */
UNIT_TEST(linalg_sumsq)
{
	double		v[5] = {1, -2, 3, -4, 0.5};

	UNIT_CHECK(gmm_sumsq(v, 5) == 30.25, "sumsq = %.17g", gmm_sumsq(v, 5));
	UNIT_CHECK(gmm_sumsq(v, 0) == 0.0, "empty sumsq");
}
