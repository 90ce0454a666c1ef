/*
 * options.h
 *	  Options of the fitting functions (gmm_fit, gmm_train), read from a
 *	  jsonb object.
 *
 * Usage:
 *	   GmmFitOptions opts;
 *
 *	   gmm_fit_options_init(&opts);				   -- the defaults
 *	   gmm_fit_options_parse(jb, &opts, "gmm_fit", NULL, NULL);
 *	   gmm_fit_options_set_k(&opts, k, "gmm_fit");	   -- k, and the range up to
 *													  -- option "k_max"
 *	   ... once the dimension d of the rows is known:
 *	   gmm_fit_options_check_dimension(&opts, d);
 *
 * Parsing errors out (ERRCODE_INVALID_PARAMETER_VALUE) on unknown keys,
 * wrong JSON types and out-of-range values, naming the calling function and
 * the key.  A JSON null value leaves the option at its default.  A caller
 * with keys of its own (gmm_train) passes a hook that is offered every key
 * the parser does not know; the hook returns true when it took the key, and
 * may use the gmm_option_* readers below for uniform error messages.
 *
 * All memory (the given start arrays) is palloc'd in CurrentMemoryContext.
 */
#ifndef GMM_OPTIONS_H
#define GMM_OPTIONS_H

#include "utils/jsonb.h"

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

/* defaults, documented in docs/fit.md */
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
} GmmFitOptions;

/* a caller's handler for keys the parser does not know */
typedef bool (*GmmOptionHook) (const char *key, const JsonbValue *value,
							   void *arg);

/* set every option to its default */
extern void gmm_fit_options_init(GmmFitOptions *opts);

/*
 * Read the options in jb (may be NULL: defaults kept) into opts, which must
 * have been initialised.  "caller" names the SQL function in errors;
 * "hook_keys" lists the hook's own keys (comma-separated) for the
 * unknown-key hint.  A JSON null value keeps the default of any known key,
 * the hook's included (the hook is not called for it).
 */
extern void gmm_fit_options_parse(Jsonb *jb, GmmFitOptions *opts,
								  const char *caller,
								  GmmOptionHook hook, void *hook_arg,
								  const char *hook_keys);

/*
 * Set k_min to the k argument (and k_max to it unless option "k_max" was
 * given), checking 1 <= k_min <= k_max <= GMM_MAX_K and that a given start
 * goes with a single k.
 */
extern void gmm_fit_options_set_k(GmmFitOptions *opts, int k,
								  const char *caller);

/* check the shapes of the given start against k and the dimension d */
extern void gmm_fit_options_check_dimension(const GmmFitOptions *opts, int d,
											const char *caller);

/* readers for option values, erroring with uniform messages */
extern int	gmm_option_int(const char *caller, const char *key,
						   const JsonbValue *v, int min, int max);
extern int64 gmm_option_int64(const char *caller, const char *key,
							  const JsonbValue *v);
extern double gmm_option_double(const char *caller, const char *key,
								const JsonbValue *v, double min, double max);
extern bool gmm_option_bool(const char *caller, const char *key,
							const JsonbValue *v);
extern char *gmm_option_string(const char *caller, const char *key,
							   const JsonbValue *v);

/* error unless the shrinkage applies to the covariance type */
extern void gmm_check_shrinkage(const char *caller, int shrinkage, int cov_type);

/* name of an init method, for messages */
extern const char *gmm_init_method_name(int init);

#endif							/* GMM_OPTIONS_H */
