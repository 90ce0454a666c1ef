/*
 * kernel/fitopts.h
 *	  The options of a fit as the kernels see them (GmmFitOptions), their
 *	  defaults and limits.  Read from jsonb by the SQL layer (options.h).
 */
#ifndef GMM_FITOPTS_H
#define GMM_FITOPTS_H

#include "postgres.h"

#include "kernel/model.h"

/* how the initial model is built */
typedef enum GmmInitMethod
{
	GMM_INIT_KMEANS = 0,		/* k-means++ seeding, then Lloyd iterations */
	GMM_INIT_KMEANSPP = 1,		/* k-means++ seeding only */
	GMM_INIT_RANDOM = 2,		/* k distinct random rows as means */
	GMM_INIT_GIVEN = 3			/* means given in the options */
} GmmInitMethod;

/* criterion used to choose k over a range */
typedef enum GmmCriterion
{
	GMM_CRITERION_BIC = 0,
	GMM_CRITERION_AIC = 1
} GmmCriterion;

/* covariance shrinkage in the M-step */
typedef enum GmmShrinkage
{
	GMM_SHRINK_NONE = 0,
	GMM_SHRINK_OAS = 1			/* Oracle Approximating Shrinkage (full, tied) */
} GmmShrinkage;

/* what a missing value (NULL or NaN element) means */
typedef enum GmmMissing
{
	GMM_MISSING_ERROR = 0,		/* an error, naming the row and element */
	GMM_MISSING_MARGINALIZE = 1 /* marginalised out (kernel/missing.h) */
} GmmMissing;

/* defaults, documented in the README (Fitting: gmm_fit, options table) */
#define GMM_DEFAULT_MAX_ITER	100
#define GMM_DEFAULT_TOL			1e-3
#define GMM_DEFAULT_REG_COVAR	1e-6
#define GMM_DEFAULT_N_INIT		1
#define GMM_DEFAULT_MAX_TRIES	10
#define GMM_DEFAULT_SEED		0

/* upper bounds of integer options */
#define GMM_MAX_N_INIT			1000
#define GMM_MAX_MAX_TRIES		1000

typedef struct GmmFitOptions
{
	int			cov_type;		/* GmmCovType; default full */
	int			max_iter;		/* EM iterations per run, >= 0 */
	double		tol;			/* on the change of mean log-likelihood per row */
	double		reg_covar;		/* added to the variances, >= 0 */
	int			n_init;			/* runs from fresh initialisations; best kept */
	int			init;			/* GmmInitMethod */
	bool		init_set;		/* "init" was given explicitly */
	int64		seed;			/* seed of the pg_prng generator */
	int			max_tries;		/* attempts per run when a covariance turns
								 * singular */
	bool		verbose;		/* a NOTICE per iteration */
	int			criterion;		/* GmmCriterion, for k ranges */
	int			shrinkage;		/* GmmShrinkage */
	int			missing;		/* GmmMissing */

	/*
	 * Number of components: the k argument is k_min; option "k_max" (when
	 * k_max_set) asks for every k from k_min to k_max, the best by criterion
	 * being kept.  A single k when k_min == k_max.
	 */
	int			k_min;
	int			k_max;
	bool		k_max_set;

	/*
	 * An optional start, as given (NULL when absent).  Shapes follow
	 * scikit-learn: means k x d, weights k, covariances per covariance type
	 * (full k x d x d, diag k x d, spherical k, tied d x d), row-major.  The
	 * shape of each is kept as parsed and checked by
	 * gmm_fit_options_check_dimension.
	 */
	double	   *means;
	double	   *weights;
	double	   *covariances;
	int			means_ndim;
	int			means_dims[3];
	int			weights_ndim;
	int			weights_dims[3];
	int			covariances_ndim;
	int			covariances_dims[3];

	/* option "prior": a variational fit (kernel/vb.h); NULL for EM */
	struct GmmVbPrior *prior;
} GmmFitOptions;

/* Set every option to its default */
static inline void
gmm_fit_options_init(GmmFitOptions *opts)
{
	memset(opts, 0, sizeof(GmmFitOptions));
	opts->cov_type = GMM_COV_FULL;
	opts->max_iter = GMM_DEFAULT_MAX_ITER;
	opts->tol = GMM_DEFAULT_TOL;
	opts->reg_covar = GMM_DEFAULT_REG_COVAR;
	opts->n_init = GMM_DEFAULT_N_INIT;
	opts->init = GMM_INIT_KMEANS;
	opts->init_set = false;
	opts->seed = GMM_DEFAULT_SEED;
	opts->max_tries = GMM_DEFAULT_MAX_TRIES;
	opts->verbose = false;
	opts->criterion = GMM_CRITERION_BIC;
	opts->k_min = 1;
	opts->k_max = 1;
}

#endif							/* GMM_FITOPTS_H */
