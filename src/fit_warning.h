/*
 * fit_warning.h
 *	  The once-per-statement WARNING about fits that did not converge
 *	  (fit_warning.c).
 */
#ifndef GMM_FIT_WARNING_H
#define GMM_FIT_WARNING_H

#include "kernel/model.h"
#include "kernel/fitopts.h"

/*
 * Count a model returned by gmm_fit, gmm_fit_weighted or gmm_train (caller)
 * fitted with opts, for the statement's WARNING.
 */
extern void gmm_fit_warning_count(const Gmm *m, const GmmFitOptions *opts,
								  const char *caller);

/*
 * Install the executor hooks behind the WARNING, once per statement, about
 * fits that reached max_iter without converging (called from _PG_init).
 */
extern void gmm_convergence_warning_init(void);

#endif							/* GMM_FIT_WARNING_H */
