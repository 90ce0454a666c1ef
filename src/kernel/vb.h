/*
 * kernel/vb.h
 *	  Variational inference for the mixture (Bayesian Gaussian mixtures as
 *	  scikit-learn 1.2's BayesianGaussianMixture): the priors, the posterior
 *	  section of a variational model (GMM_FLAG_BAYES), the variational M-step
 *	  from GmmSuff statistics, the E-step as an ordinary Gaussian E-step under
 *	  a derived model, the lower bound (kernel/vb.c), and the driver behind
 *	  gmm_fit and gmm_train with a "prior" option (kernel/vb_fit.c).
 *
 * The section of a variational model holds, in float8:
 *	 [0] prior type (GmmVbPriorType)
 *	 [1] form: 0 = the fitted model (weights, means, covariances as
 *		 scikit-learn reports them), 1 = its E-step form (see below)
 *	 [2] the lower bound (scikit-learn's, a total over the rows)
 *	 [3] reg_covar
 *	 [4] prior weight concentration, [5] prior mean precision,
 *	 [6] prior degrees of freedom
 *	 [7 .. 7+d) prior mean
 *	 then the prior covariance (full, tied: d x d; diag: d; spherical: 1)
 *	 then the posterior weight concentration (Dirichlet process: k values
 *	 of the Beta's first parameter, then k of its second; Dirichlet
 *	 distribution: k), the mean precision (k) and the degrees of freedom (k;
 *	 tied: k copies of the one value).
 *
 * The E-step form of a model has the same means, covariances and section
 * (form 1), but weights proportional to exp(E[log pi_j] + 1/2 E[log |Lambda_j|]
 * - d/2 log nu_j - d / (2 beta_j)) (the variational responsibilities are the
 * ordinary Gaussian responsibilities under it): the existing E-step kernels,
 * aggregates and statistics serve the variational E-step unchanged.
 */
#ifndef GMM_KERNEL_VB_H
#define GMM_KERNEL_VB_H

#include "kernel/driver.h"
#include "kernel/suff.h"

typedef enum GmmVbPriorType
{
	GMM_VB_DIRICHLET_PROCESS = 0,
	GMM_VB_DIRICHLET_DISTRIBUTION = 1
} GmmVbPriorType;

#define GMM_VB_FORM_MODEL	0
#define GMM_VB_FORM_ESTEP	1

/* section layout */
#define GMM_VB_TYPE		0
#define GMM_VB_FORM		1
#define GMM_VB_LB		2
#define GMM_VB_REG		3
#define GMM_VB_WC0		4
#define GMM_VB_BETA0	5
#define GMM_VB_NU0		6
#define GMM_VB_M0		7

/*
 * The "prior" option as given: unset values take scikit-learn's defaults
 * (weight concentration 1/k, mean precision 1, degrees of freedom d, mean
 * and covariance of the rows).  Shapes of the arrays as parsed (checked by
 * gmm_vb_prior_check_dimension).
 */
typedef struct GmmVbPrior
{
	int			type;			/* GmmVbPriorType */
	double		weight_concentration;	/* <= 0: default */
	double		mean_precision; /* <= 0: default */
	double		degrees_of_freedom; /* <= 0: default */
	double	   *mean;			/* d, or NULL */
	int			mean_ndim,
				mean_dims[3];
	double	   *covariance;		/* per covariance type, or NULL */
	int			cov_ndim,
				cov_dims[3];
} GmmVbPrior;

/* values of the prior covariance per covariance type */
extern Size gmm_vb_cov_prior_count(int cov_type, int d);

/* values of the prior part of the section (up to the posterior) */
extern Size gmm_vb_prior_count(int cov_type, int d);

/* total values of the section */
extern Size gmm_vb_section_count(int cov_type, int k, int d, int type);

/* "dirichlet_process" or "dirichlet_distribution" */
extern const char *gmm_vb_type_name(int type);

/*
 * The prior part of the section (gmm_vb_prior_count values) into hdr, for k
 * components, from the given prior and, for what it leaves unset, the rows'
 * mean and covariance from statistics s (of any model of the rows).  Errors
 * name "caller".
 */
extern void gmm_vb_resolve_prior(const GmmVbPrior *prior, const GmmSuff *s,
								 int k, double reg_covar, double *hdr,
								 const char *caller);

/*
 * The variational M-step: the model (form 0, fit metadata unset apart from
 * GMM_FLAG_FITTED) from statistics s and the prior part hdr; its lower
 * bound is computed from s and the model sm the statistics were collected
 * under (its means are s's shift).
 */
extern Gmm *gmm_vb_mstep(const GmmSuff *s, const Gmm *sm, const double *hdr);

/* The E-step form of variational model m */
extern Gmm *gmm_vb_estep_model(const Gmm *m);

/* the section of m, or an error naming caller when m is not variational */
extern const double *gmm_vb_section(const Gmm *m, const char *caller);

/* the content rules of a GMM_FLAG_BAYES section (gmm_section_check) */
extern void gmm_vb_section_check(const Gmm *m, const double *v, int n);

/* digamma function */
extern double gmm_digamma(double x);

/*
 * Variational fit (kernel/vb_fit.c): n_init runs from gmm_fit's
 * initialisations (each: the statistics of the rows under the initial
 * model, then the variational M-step, as scikit-learn's _initialize from
 * responsibilities), iterated until the lower bound changes by less than
 * tol, the best lower bound kept; or, when start is a variational model,
 * continued from it.  Returns a validated model whose log_likelihood is the
 * mean log-likelihood of the returned mixture on the rows.
 */
extern Gmm *gmm_vb_drive(const GmmEmSource *src, const Gmm *start,
						 const GmmFitOptions *opts, const char *caller);
extern Gmm *gmm_vb_fit(const GmmRows *rows, const GmmFitOptions *opts,
					   const char *caller);

/* the same over the rows of a row source (kernel/rowsrc.h) */
extern Gmm *gmm_vb_fit_source(GmmRowSource *rows, const GmmFitOptions *opts,
							  const char *caller);

#endif							/* GMM_KERNEL_VB_H */
