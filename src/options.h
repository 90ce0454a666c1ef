/*
 * options.h
 *	  Options of the fitting functions (gmm_fit, gmm_train), read from a
 *	  jsonb object.
 *
 * Usage:
 *	   GmmFitOptions opts;
 *
 *	   gmm_fit_options_init(&opts);				   -- the defaults (kernel/fitopts.h)
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

#include "kernel/fitopts.h"

/* a caller's handler for keys the parser does not know */
typedef bool (*GmmOptionHook) (const char *key, const JsonbValue *value,
							   void *arg);

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
extern char *gmm_option_string(const char *caller, const char *key,
							   const JsonbValue *v);

/* option "missing" ("error" or "marginalize") as a GmmMissing */
extern int	gmm_option_missing(const char *caller, const JsonbValue *v);

/* error unless the shrinkage applies to the covariance type */
extern void gmm_check_shrinkage(const char *caller, int shrinkage, int cov_type);

/*
 * option "prior" (vb_options.c): parsed into a GmmVbPrior (kernel/vb.h);
 * its combination with the other options and, once d is known, its shapes
 * and values checked, errors naming the key ("prior.mean")
 */
struct GmmVbPrior;
extern struct GmmVbPrior *gmm_vb_prior_parse(const char *caller, const JsonbValue *v);
extern void gmm_vb_prior_check_options(const GmmFitOptions *opts, const char *caller);
extern void gmm_vb_prior_check_dimension(const struct GmmVbPrior *prior, int cov_type,
										 int d, const char *caller);

#endif							/* GMM_OPTIONS_H */
