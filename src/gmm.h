/*
 * gmm.h
 *	  The gmm model type: on-disk layout, size limits, and the shared API of
 *	  the model (model.c), points (point.c) and prepared models for scoring
 *	  (prepare.c).
 *
 * A model is a varlena of a fixed header followed by float8 values:
 *	 weights[k], means[k][d], covariances[...]
 * where the covariance block depends on the covariance type:
 *	 full: k * d * d   diag: k * d   spherical: k   tied: d * d
 * All matrices are row-major and stored whole (not packed).
 *
 * Format version 1 (gmm 0.1.0, and every model without a selection table)
 * ends there.  Version 2 is written only for models that carry a selection
 * table (GMM_FLAG_SELECTION, a fit over a range of k): n_selection rows of
 * GMM_SEL_FIELDS float8 follow the covariances,
 *	 k, log_likelihood (mean per row), n_iter, converged (0 or 1)
 * one per k fitted, in increasing k.  Every version is read; a value is
 * rewritten in the newer format only when written again.
 */
#ifndef GMM_H
#define GMM_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/array.h"

#define GMM_FORMAT_VERSION	1	/* models without a selection table */
#define GMM_FORMAT_VERSION_SELECTION	2	/* models with one */
#define GMM_SEL_FIELDS		4	/* float8 per row of the selection table */

/* limits, documented in the README */
#define GMM_MAX_K			10000
#define GMM_MAX_D			4096
/*
 * about the most float8 values a model holds (weights, means and
 * covariances): the jsonb form's 256 MB at 24 bytes per value; the exact
 * test is gmm_forms_fit
 */
#define GMM_MAX_VALUES		11000000

/* weights must sum to 1 within this absolute tolerance */
#define GMM_WEIGHT_SUM_TOL	1e-6
/* |a_ij - a_ji| <= GMM_SYMMETRY_TOL * sqrt(a_ii * a_jj) */
#define GMM_SYMMETRY_TOL	1e-8

typedef enum GmmCovType
{
	GMM_COV_FULL = 0,
	GMM_COV_DIAG = 1,
	GMM_COV_SPHERICAL = 2,
	GMM_COV_TIED = 3
} GmmCovType;

#define GMM_NUM_COV_TYPES	4

/* flags */
#define GMM_FLAG_FITTED		0x0001	/* fit metadata below is meaningful */
#define GMM_FLAG_CONVERGED	0x0002	/* the fit met its tolerance */
#define GMM_FLAG_SELECTION	0x0004	/* a selection table follows (version 2) */
#define GMM_FLAG_MASK		0x0007

typedef struct Gmm
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* GMM_FORMAT_VERSION[_SELECTION] */
	uint8		cov_type;		/* GmmCovType */
	uint16		flags;			/* GMM_FLAG_* */
	int32		k;				/* number of components */
	int32		d;				/* dimension */
	int32		n_iter;			/* EM iterations run (fitted models) */
	int32		n_selection;	/* rows of the selection table; 0 in version 1 */
	float8		n_seen;			/* rows (or total weight) seen by the fit */
	float8		log_likelihood; /* mean log-likelihood per row (weight) */
	float8		data[FLEXIBLE_ARRAY_MEMBER];
} Gmm;

#define GMM_HEADER_SIZE			offsetof(Gmm, data)
#define GMM_WEIGHTS(m)			((m)->data)
#define GMM_MEANS(m)			((m)->data + (m)->k)
#define GMM_COVS(m)				((m)->data + (Size) (m)->k + (Size) (m)->k * (m)->d)
#define GMM_IS_FITTED(m)		(((m)->flags & GMM_FLAG_FITTED) != 0)
#define GMM_SELECTION(m)		((m)->data + gmm_value_count((m)->cov_type, (m)->k, (m)->d))

#define DatumGetGmmP(x)			((Gmm *) PG_DETOAST_DATUM(x))
#define PG_GETARG_GMM_P(n)		DatumGetGmmP(PG_GETARG_DATUM(n))
#define PG_RETURN_GMM_P(x)		PG_RETURN_POINTER(x)

/* model.c */
extern Size gmm_cov_count(int cov_type, int k, int d);
extern Size gmm_value_count(int cov_type, int k, int d);
extern Size gmm_size(int cov_type, int k, int d);
extern bool gmm_forms_fit(Size n, Size n_arrays);
extern void gmm_check_shape(int k, int d);
extern Gmm *gmm_alloc(int cov_type, int k, int d);
extern void gmm_validate(const Gmm *m);
extern void gmm_canonicalize(Gmm *m);
extern int	gmm_parse_cov_type(const char *name);
extern const char *gmm_cov_type_name(int cov_type);
extern double gmm_n_parameters(const Gmm *m);
extern double gmm_n_parameters_kd(int cov_type, int k, int d);
extern Gmm *gmm_with_selection(const Gmm *m, const double *rows, int n);
extern void gmm_full_covariance(const Gmm *m, int j, double *out);
extern uint64 gmm_fingerprint(const Gmm *m);

/* point.c: float8[] / real[] points and result arrays */
extern int	gmm_point_length(ArrayType *a);
extern void gmm_point_read(ArrayType *a, int d, double *out);
extern ArrayType *gmm_array_1d(const double *v, int n);
extern ArrayType *gmm_array_nd(const double *v, int ndims, const int *dims);
extern double *gmm_array_values(ArrayType *a, int *n, const char *what);

/*
 * A model made ready for scoring: log weights, means and factors.
 * log_norm[j] = log w_j - d/2 log(2 pi) - 1/2 log|Sigma_j| (-inf for a zero
 * weight), so the weighted log density of component j at x is
 * log_norm[j] - 1/2 |z|^2 with
 *	 full/tied: z = L_j^{-1} (x - mu_j), L_j the lower Cholesky factor stored
 *				at chol + j * chol_stride (chol_stride is 0 for tied: one
 *				shared factor);
 *	 diag/spherical: z_i = (x_i - mu_ji) * inv_std[j * d + i].
 * "extra" is free for the calling function to cache more per-model data in
 * cxt; it is reset to NULL whenever the model changes.  "vec" is the
 * vectorised kernel's layout of the same model (logpdf.c), in cxt too, so
 * that it lives and dies with the prepared model.
 */
typedef struct GmmPrepared
{
	int			k;
	int			d;
	int			cov_type;
	Size		chol_stride;
	double	   *log_norm;		/* k */
	double	   *means;			/* k * d */
	double	   *chol;			/* full: k * d * d; tied: d * d; else NULL */
	double	   *inv_std;		/* diag/spherical: k * d; else NULL */
	double	   *work;			/* scratch, 2 * d + 2 * k */
	const Gmm  *model;			/* the decoded model (a private copy) */
	MemoryContext cxt;			/* holds all of the above */
	void	   *extra;			/* caller's per-model cache */
	void	   *vec;			/* logpdf.c's layout, built on first use */
} GmmPrepared;

/* prepare.c */
extern GmmPrepared *gmm_prepare(const Gmm *m, MemoryContext cxt);
extern GmmPrepared *gmm_prepared_from_arg(FunctionCallInfo fcinfo, int argno);
extern void gmm_weighted_logpdfs(const GmmPrepared *p, const double *x, double *out);
extern double gmm_mahalanobis_sq(const GmmPrepared *p, int j, const double *x, double *z);
extern double gmm_logsumexp(const double *v, int n);
extern double gmm_point_logpdf(const GmmPrepared *p, const double *x, double *lp);
extern double gmm_point_posterior(const GmmPrepared *p, const double *x, double *lp,
								  double *resp, int *best);
extern double gmm_point_posterior_exact(const GmmPrepared *p, const double *x,
										double *lp, double *resp, int *best);

#endif							/* GMM_H */
