/*
 * linalg.h
 *	  Small dense linear algebra helpers over row-major double arrays, built
 *	  on LAPACKE/CBLAS.  Nothing here knows about fmgr or memory contexts,
 *	  except that errors from LAPACK's argument checks are reported with elog.
 */
#ifndef GMM_LINALG_H
#define GMM_LINALG_H

/* In-place lower Cholesky of the d x d matrix a (upper part zeroed).
 * Returns 0 on success, or the order of the leading minor that is not
 * positive definite. */
extern int	gmm_cholesky(double *a, int d);

/* log |A| = 2 * sum log L_ii for a Cholesky factor L */
extern double gmm_chol_logdet(const double *L, int d);

/* Solve L y = b (L lower triangular, row-major); y may alias b */
extern void gmm_forward_solve(const double *L, int d, const double *b, double *y);

/* Solve L^T y = b; y may alias b */
extern void gmm_backward_solve(const double *L, int d, const double *b, double *y);

/* Solve A X = B in place in B (d x nrhs, row-major) given A's Cholesky factor L */
extern void gmm_chol_solve(const double *L, int d, double *B, int nrhs);

/* Symmetric eigen-decomposition: a (d x d) is overwritten by eigenvectors
 * (columns, row-major storage), w receives ascending eigenvalues.
 * Returns 0 on success. */
extern int	gmm_eigh(double *a, int d, double *w);

/* sum of squares of v[0..n-1] */
extern double gmm_sumsq(const double *v, int n);

#endif							/* GMM_LINALG_H */
