/*
 * kernel/special.h
 *	  Special functions of kernel/special.c.
 */
#ifndef GMM_SPECIAL_H
#define GMM_SPECIAL_H

/* the chi-square quantile with df degrees of freedom at probability p */
extern double gmm_chi2_quantile_value(double p, double df);

#endif							/* GMM_SPECIAL_H */
