/*
 * kernel/model.h
 *	  The gmm model: on-disk layout, size limits, covariance types, and the
 *	  kernel functions of kernel/model.c (sizes, names, parameter counts,
 *	  information criteria, validation).  No fmgr: the SQL side of the type
 *	  is in gmm.h.
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
 *
 * Version 2 also carries the optional sections of fit metadata: for each
 * section flag set (GMM_SECTION_FLAGS, in increasing bit order), one float8
 * holding the section's length n, then n float8 values.  They follow the
 * selection table (when there is one).  gmm_section() finds a section,
 * gmm_with_section() adds or replaces one; what a section holds is checked
 * by gmm_section_check (kernel/model.c):
 *	 GMM_FLAG_OBSERVED	a fit on incomplete rows ("missing": "marginalize")
 *	 GMM_FLAG_BAYES		a variational (Bayesian) fit's posterior
 */
#ifndef GMM_KERNEL_MODEL_H
#define GMM_KERNEL_MODEL_H

#include "postgres.h"

#define GMM_FORMAT_VERSION	1	/* models without a selection table */
#define GMM_FORMAT_VERSION_SELECTION	2	/* models with one */
#define GMM_SEL_FIELDS		4	/* float8 per row of the selection table */

/* limits, documented in the README */
#define GMM_MAX_K			10000
#define GMM_MAX_D			4096
/*
 * about the most float8 values a model holds (weights, means and
 * covariances): the jsonb form's 256 MB at 24 bytes per value; the exact
 * test is gmm_forms_fit (kernel/model.c)
 */
#define GMM_MAX_VALUES		11000000
/* the largest jsonb container: JENTRY_OFFLENMASK (checked in gmm_io.c) */
#define GMM_JSONB_MAX_BYTES	0x0FFFFFFF

/* log(2 pi) */
#define GMM_LOG_2PI			1.8378770664093454836

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

/* the hint of every error about a covariance type name */
#define GMM_COV_TYPE_HINT	"Use one of \"full\", \"diag\", \"spherical\" or \"tied\"."

/* flags */
#define GMM_FLAG_FITTED		0x0001	/* fit metadata below is meaningful */
#define GMM_FLAG_CONVERGED	0x0002	/* the fit met its tolerance */
#define GMM_FLAG_SELECTION	0x0004	/* a selection table follows (version 2) */
#define GMM_FLAG_OBSERVED	0x0008	/* section: fit on incomplete rows */
#define GMM_FLAG_BAYES		0x0010	/* section: variational posterior */
#define GMM_SECTION_FLAGS	(GMM_FLAG_OBSERVED | GMM_FLAG_BAYES)
#define GMM_FLAG_MASK		0x001F
/* the most float8 values of one section (a variational fit's holds a d x d prior) */
#define GMM_MAX_SECTION		(4 * GMM_MAX_K + GMM_MAX_D * GMM_MAX_D + GMM_MAX_D + 64)

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

/* the first problem gmm_model_check finds in a model's values */
typedef enum GmmProblemKind
{
	GMM_PROBLEM_NONE = 0,
	GMM_PROBLEM_NONFINITE,		/* a weight, mean or covariance value */
	GMM_PROBLEM_NEGATIVE_WEIGHT,
	GMM_PROBLEM_WEIGHT_SUM,		/* the weights do not sum to 1 */
	GMM_PROBLEM_NOT_SYMMETRIC,	/* a full or tied matrix */
	GMM_PROBLEM_NOT_PD,			/* a full or tied matrix */
	GMM_PROBLEM_VARIANCE		/* a diag or spherical variance not > 0 */
} GmmProblemKind;

typedef struct GmmProblem
{
	GmmProblemKind kind;
	int			component;		/* 1-based (0 for the weight sum) */
	const char *what;			/* NONFINITE: "weight", "mean" or "covariance" */
	double		value;			/* the offending value, or the weight sum */
	int			row,
				col;			/* NOT_SYMMETRIC: 0-based element [row][col] */
	double		value2;			/* NOT_SYMMETRIC: element [col][row] */
	int			minor;			/* NOT_PD: order of the failing leading minor */
} GmmProblem;

/* what gmm_model_check checks beyond finiteness, definiteness and variances */
#define GMM_CHECK_WEIGHT_SUM	0x01	/* non-negative weights summing to 1 */
#define GMM_CHECK_SYMMETRY		0x02	/* full/tied matrices symmetric */
#define GMM_CHECK_ALL			(GMM_CHECK_WEIGHT_SUM | GMM_CHECK_SYMMETRY)

/*
 * kernel/model.c.  gmm_model_check checks m's values without throwing, in
 * gmm_validate's order: per component the weight and the means, then the
 * weight sum, then the covariances; always finiteness, positive
 * definiteness and positive variances, plus what "checks" asks for.  work:
 * d * d doubles.  true when all is well, else false with *problem
 * describing the first problem found.  gmm_validate also checks the header
 * and errors out on the first problem.
 */
extern Size gmm_cov_count(int cov_type, int k, int d);
extern Size gmm_value_count(int cov_type, int k, int d);
extern void gmm_check_shape(int k, int d);
extern Gmm *gmm_alloc(int cov_type, int k, int d);
extern void gmm_validate(const Gmm *m);
extern bool gmm_model_check(const Gmm *m, int checks, double *work,
							GmmProblem *problem);
extern void gmm_canonicalize(Gmm *m);
extern int	gmm_cov_type_from_name(const char *name);
extern int	gmm_parse_cov_type(const char *name);
extern const char *gmm_cov_type_name(int cov_type);
extern double gmm_n_parameters(const Gmm *m);
extern double gmm_n_parameters_kd(int cov_type, int k, int d);
/* -2 sum_ll + n_params ln n (BIC) or + 2 n_params (AIC, GmmCriterion) */
extern double gmm_information_criterion(int criterion, double sum_ll, double n,
										double n_params);
extern Gmm *gmm_with_selection(const Gmm *m, const double *rows, int n);
/* section "flag" of m and its length in *n, or NULL when m has none */
extern const double *gmm_section(const Gmm *m, int flag, int *n);
/* a copy of fitted model m with section "flag" set to vals[n] */
extern Gmm *gmm_with_section(const Gmm *m, int flag, const double *vals, int n);
/* the float8 values after the covariances: selection table and sections */
extern Size gmm_trailer_count(const Gmm *m);
extern void gmm_full_covariance(const Gmm *m, int j, double *out);
extern uint64 gmm_fingerprint(const Gmm *m);

#endif							/* GMM_KERNEL_MODEL_H */
