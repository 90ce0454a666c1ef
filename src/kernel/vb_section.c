/*
 * kernel/vb_section.c
 *	  The posterior section of a variational model (layout in kernel/vb.h):
 *	  its sizes, the prior type names, and its content rules, which
 *	  gmm_validate applies through gmm_section_check (kernel/model.c).  Calls
 *	  nothing in kernel/model.c, so that the two do not depend on each other.
 */
#include "postgres.h"

#include <math.h>

#include "kernel/linalg.h"
#include "kernel/vb.h"

static const char *const vb_type_names[] = {"dirichlet_process", "dirichlet_distribution"};

/* The name of prior type "type" */
const char *
gmm_vb_type_name(int type)
{
	return vb_type_names[type == GMM_VB_DIRICHLET_DISTRIBUTION];
}

/* Values of the prior covariance per covariance type */
Size
gmm_vb_cov_prior_count(int cov_type, int d)
{
	return (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED) ? (Size) d * d :
		(cov_type == GMM_COV_DIAG) ? (Size) d : 1;
}

/* Values of the prior part of the section */
Size
gmm_vb_prior_count(int cov_type, int d)
{
	return GMM_VB_M0 + (Size) d + gmm_vb_cov_prior_count(cov_type, d);
}

/* Values of the whole section */
Size
gmm_vb_section_count(int cov_type, int k, int d, int type)
{
	return gmm_vb_prior_count(cov_type, d) +
		(Size) k * (type == GMM_VB_DIRICHLET_PROCESS ? 4 : 3);
}

/* ---------------------------------------------------------------------
 * Content rules
 * ---------------------------------------------------------------------
 */

/* Error about the posterior section */
static void
pg_attribute_noreturn()
section_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid gmm fit metadata"),
			 errdetail("The posterior section: %s", detail)));
}

/* The rules of a GMM_FLAG_BAYES section */
void
gmm_vb_section_check(const Gmm *m, const double *v, int n)
{
	int			k = m->k,
				d = m->d,
				type;
	Size		np = gmm_vb_prior_count(m->cov_type, d),
				cp = gmm_vb_cov_prior_count(m->cov_type, d);
	const double *c0,
			   *wc,
			   *beta,
			   *nu;
	int			nwc;

	if (n < GMM_VB_M0)
		section_error("too short.");
	if (v[GMM_VB_TYPE] != 0.0 && v[GMM_VB_TYPE] != 1.0)
		section_error("unknown prior type.");
	type = (int) v[GMM_VB_TYPE];
	if ((Size) n != gmm_vb_section_count(m->cov_type, k, d, type))
		section_error(psprintf("%d values where the shape needs %zu.", n,
							   gmm_vb_section_count(m->cov_type, k, d, type)));
	if (v[GMM_VB_FORM] != GMM_VB_FORM_MODEL && v[GMM_VB_FORM] != GMM_VB_FORM_ESTEP)
		section_error("unknown form.");
	if (!(v[GMM_VB_REG] >= 0.0))
		section_error("reg_covar is negative.");
	if (!(v[GMM_VB_WC0] > 0.0) || !(v[GMM_VB_BETA0] > 0.0))
		section_error("a prior weight concentration or mean precision is not positive.");
	if (!(v[GMM_VB_NU0] > d - 1.0))
		section_error("the prior degrees of freedom are not above d - 1.");
	c0 = v + GMM_VB_M0 + d;
	if (m->cov_type == GMM_COV_FULL || m->cov_type == GMM_COV_TIED)
	{
		double	   *w = palloc(sizeof(double) * d * d);

		for (int i = 0; i < d; i++)
			for (int t = 0; t < i; t++)
				if (fabs(c0[(Size) i * d + t] - c0[(Size) t * d + i]) >
					GMM_SYMMETRY_TOL * sqrt(fabs(c0[(Size) i * d + i] * c0[(Size) t * d + t])))
					section_error("the prior covariance is not symmetric.");
		memcpy(w, c0, sizeof(double) * d * d);
		if (gmm_cholesky(w, d) != 0)
			section_error("the prior covariance is not positive definite.");
		pfree(w);
	}
	else
		for (Size i = 0; i < cp; i++)
			if (!(c0[i] > 0.0))
				section_error("a prior variance is not positive.");
	wc = v + np;
	nwc = (type == GMM_VB_DIRICHLET_PROCESS) ? 2 * k : k;
	beta = wc + nwc;
	nu = beta + k;
	for (int j = 0; j < nwc; j++)
		if (!(wc[j] > 0.0))
			section_error("a weight concentration is not positive.");
	for (int j = 0; j < k; j++)
	{
		if (!(beta[j] > 0.0))
			section_error("a mean precision is not positive.");
		if (!(nu[j] > d - 1.0))
			section_error("degrees of freedom are not above d - 1.");
	}
}
