/*
 * emfit.h
 *	  The in-memory EM driver: fits a mixture to rows held in memory, with
 *	  n_init runs, retries when a covariance turns singular, re-seeding of
 *	  components that lose their mass, verbose progress NOTICEs, and the
 *	  choice of k over a range by BIC or AIC.
 */
#ifndef GMM_EMFIT_H
#define GMM_EMFIT_H

#include "gmm.h"
#include "init.h"
#include "options.h"

/*
 * Fit the rows with opts (k range in opts->k_min .. k_max; given start
 * already checked against rows->d).  Returns a validated model with fit
 * metadata (GMM_FLAG_FITTED, n_seen = rows->sum_w, log_likelihood = mean
 * log-likelihood per unit of weight of the returned model, n_iter,
 * converged), palloc'd in CurrentMemoryContext.  Errors name "caller".
 */
extern Gmm *gmm_em_fit(const GmmRows *rows, const GmmFitOptions *opts,
					   const char *caller);

/* the criterion value (BIC or AIC) of a fitted model */
extern double gmm_fit_criterion(const Gmm *m, int criterion);

#endif							/* GMM_EMFIT_H */
