/*
 * kernel/vb.c
 *	  The variational (Bayesian) mixture over plain arrays, following
 *	  scikit-learn 1.2's BayesianGaussianMixture formula for formula: the
 *	  priors with their data-derived defaults, the M-step from the shifted
 *	  statistics of kernel/suff.h (Dirichlet-process or Dirichlet weights,
 *	  Gaussian-Wishart means and precisions), the E-step form of a model
 *	  (the expected log-weights and log-determinants folded into ordinary
 *	  mixture weights) and the lower bound.  Layout of the section:
 *	  kernel/vb.h; its sizes and content rules: kernel/vb_section.c.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#include <cblas.h>

#include "kernel/linalg.h"
#include "kernel/logpdf.h"
#include "kernel/vb.h"

/* scikit-learn adds 10 * eps to every soft count */
#define VB_NK_EPS	(10.0 * DBL_EPSILON)

/* Digamma: recurrence up to x >= 6, then the asymptotic series */
double
gmm_digamma(double x)
{
	double		r = 0.0,
				f,
				t;

	if (!(x > 0.0))
		return NAN;
	while (x < 6.0)
	{
		r -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	t = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 +
															   f * (-1.0 / 132 + f * (691.0 / 32760 + f * (-1.0 / 12)))))));
	return r + log(x) - 0.5 / x + t;
}

/* The section of m, or an error when m is not a variational model */
const double *
gmm_vb_section(const Gmm *m, const char *caller)
{
	int			n;
	const double *v = gmm_section(m, GMM_FLAG_BAYES, &n);

	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the model is not a variational fit", caller),
				 errhint("Fit it with a \"prior\" option (gmm_fit, gmm_train) or build it with gmm_vb_update.")));
	return v;
}

/* ---------------------------------------------------------------------
 * Priors
 * ---------------------------------------------------------------------
 */

/* Error naming prior key "key" */
static void
pg_attribute_noreturn()
prior_error(const char *caller, const char *key, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"prior.%s\" %s", caller, key, msg),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * The rows' mean (d) and covariance (ddof 1, per covariance type into cov)
 * from statistics of any model: sum_j (n_j c_j + s1_j) / n and
 * sum_j (s2_j + s1_j e_j' + e_j s1_j' + n_j e_j e_j') / (n - 1), e_j = c_j - mean
 */
static void
data_moments(const GmmSuff *s, double *mean, double *cov, int cov_type,
			 const char *caller)
{
	int			k = s->k,
				d = s->d;
	bool		matrix = (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED);
	Size		s2n = gmm_s2_count(s->cov_type, d);
	double		n = s->sum_w;
	double	   *e = palloc(sizeof(double) * d);
	double	   *S = palloc0(sizeof(double) * (Size) d * d);

	if (!(n > 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the default prior covariance needs rows of total weight above 1, not %g",
						caller, n),
				 errhint("Give \"prior.covariance\" explicitly.")));
	memset(mean, 0, sizeof(double) * d);
	for (int j = 0; j < k; j++)
		for (int i = 0; i < d; i++)
			mean[i] += s->nk[j] * s->shift[(Size) j * d + i] + s->s1[(Size) j * d + i];
	for (int i = 0; i < d; i++)
		mean[i] /= n;
	for (int j = 0; j < k; j++)
	{
		const double *s1 = s->s1 + (Size) j * d,
				   *s2 = s->s2 + (Size) j * s2n;

		for (int i = 0; i < d; i++)
			e[i] = s->shift[(Size) j * d + i] - mean[i];
		for (int i = 0; i < d; i++)
			for (int t = 0; t <= i; t++)
			{
				double		v;

				if (!matrix && t != i)
					continue;
				v = (matrix ? s2[(Size) i * (i + 1) / 2 + t] : s2[i]) +
					s1[i] * e[t] + e[i] * s1[t] + s->nk[j] * e[i] * e[t];
				S[(Size) i * d + t] += v;
			}
	}
	switch (cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			for (int i = 0; i < d; i++)
				for (int t = 0; t <= i; t++)
					cov[(Size) i * d + t] = cov[(Size) t * d + i] = S[(Size) i * d + t] / (n - 1.0);
			break;
		case GMM_COV_DIAG:
			for (int i = 0; i < d; i++)
				cov[i] = S[(Size) i * d + i] / (n - 1.0);
			break;
		case GMM_COV_SPHERICAL:
			cov[0] = 0.0;
			for (int i = 0; i < d; i++)
				cov[0] += S[(Size) i * d + i] / (n - 1.0);
			cov[0] /= d;
			break;
	}
	pfree(e);
	pfree(S);
}

/* The prior part of the section from the given prior and the rows' moments */
void
gmm_vb_resolve_prior(const GmmVbPrior *prior, const GmmSuff *s, int k,
					 double reg_covar, double *hdr, const char *caller)
{
	int			d = s->d,
				cov_type = s->cov_type;
	Size		cp = gmm_vb_cov_prior_count(cov_type, d);
	double	   *m0 = hdr + GMM_VB_M0,
			   *c0 = m0 + d;

	hdr[GMM_VB_TYPE] = prior->type;
	hdr[GMM_VB_FORM] = GMM_VB_FORM_MODEL;
	hdr[GMM_VB_LB] = 0.0;
	hdr[GMM_VB_REG] = reg_covar;
	hdr[GMM_VB_WC0] = prior->weight_concentration > 0 ? prior->weight_concentration : 1.0 / k;
	hdr[GMM_VB_BETA0] = prior->mean_precision > 0 ? prior->mean_precision : 1.0;
	hdr[GMM_VB_NU0] = prior->degrees_of_freedom > 0 ? prior->degrees_of_freedom : (double) d;
	if (!(hdr[GMM_VB_NU0] > d - 1.0))
		prior_error(caller, "degrees_of_freedom", psprintf("is %g, not above d - 1 = %d",
														   hdr[GMM_VB_NU0], d - 1),
					"The Wishart prior needs more than d - 1 degrees of freedom; the default is d.");
	if (prior->mean == NULL || prior->covariance == NULL)
	{
		double	   *mean = palloc(sizeof(double) * d);
		double	   *cov = palloc(sizeof(double) * cp);

		data_moments(s, mean, cov, cov_type, caller);
		if (prior->mean == NULL)
			memcpy(m0, mean, sizeof(double) * d);
		if (prior->covariance == NULL)
			memcpy(c0, cov, sizeof(double) * cp);
		pfree(mean);
		pfree(cov);
	}
	if (prior->mean != NULL)
		memcpy(m0, prior->mean, sizeof(double) * d);
	if (prior->covariance != NULL)
		memcpy(c0, prior->covariance, sizeof(double) * cp);
}

/* ---------------------------------------------------------------------
 * M-step
 * ---------------------------------------------------------------------
 */

/* E[log pi_j] of the posterior weight concentration wc into out (k) */
static void
expected_log_weights(int type, const double *wc, int k, double *out)
{
	if (type == GMM_VB_DIRICHLET_PROCESS)
	{
		const double *a = wc,
				   *b = wc + k;
		double		acc = 0.0;

		for (int j = 0; j < k; j++)
		{
			double		dsum = gmm_digamma(a[j] + b[j]);

			out[j] = gmm_digamma(a[j]) - dsum + acc;
			acc += gmm_digamma(b[j]) - dsum;
		}
	}
	else
	{
		double		tot = 0.0,
					dsum;

		for (int j = 0; j < k; j++)
			tot += wc[j];
		dsum = gmm_digamma(tot);
		for (int j = 0; j < k; j++)
			out[j] = gmm_digamma(wc[j]) - dsum;
	}
}

/* The expected weights (scikit-learn's weights_) from wc into w */
static void
expected_weights(int type, const double *wc, int k, double *w)
{
	double		tot = 0.0;

	if (type == GMM_VB_DIRICHLET_PROCESS)
	{
		const double *a = wc,
				   *b = wc + k;
		double		prod = 1.0;

		for (int j = 0; j < k; j++)
		{
			double		sum = a[j] + b[j];

			w[j] = a[j] / sum * prod;
			prod *= b[j] / sum;
		}
	}
	else
		memcpy(w, wc, sizeof(double) * k);
	for (int j = 0; j < k; j++)
		tot += w[j];
	for (int j = 0; j < k; j++)
		w[j] /= tot;
}

/* tr(Sigma^-1 S) for the Cholesky factor L of Sigma and symmetric S (both d x d) */
static double
trace_solve(const double *L, const double *S, int d, double *A, double *T)
{
	double		tr = 0.0;

	memcpy(A, S, sizeof(double) * d * d);
	cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
				d, d, 1.0, L, d, A, d);
	for (int i = 0; i < d; i++)
		for (int t = 0; t < d; t++)
			T[(Size) i * d + t] = A[(Size) t * d + i];
	cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
				d, d, 1.0, L, d, T, d);
	for (int i = 0; i < d; i++)
		tr += T[(Size) i * d + i];
	return tr;
}

/* S (d x d, full) from packed or diagonal s2 */
static void
unpack_s2(const double *s2, int cov_type, int d, double *S)
{
	if (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED)
	{
		for (int i = 0; i < d; i++)
			for (int t = 0; t <= i; t++)
				S[(Size) i * d + t] = S[(Size) t * d + i] = s2[(Size) i * (i + 1) / 2 + t];
	}
	else
	{
		memset(S, 0, sizeof(double) * d * d);
		for (int i = 0; i < d; i++)
			S[(Size) i * d + i] = s2[i];
	}
}

/*
 * sum_i w_i sum_j r_ij log r_ij of the rows behind s, under the model sm
 * they were collected under: sum_j (n_j log_norm_j - 1/2 tr(Sigma_j^-1 s2_j))
 * - sum_ll (log r_ij = log_norm_j - 1/2 |z_ij|^2 - log p(x_i))
 */
static double
resp_neg_entropy(const GmmSuff *s, const Gmm *sm)
{
	int			k = s->k,
				d = s->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	GmmPrepared *p = gmm_prepare(sm, CurrentMemoryContext);
	const double *cov = GMM_COVS(sm);
	double	   *S = NULL,
			   *A = NULL,
			   *T = NULL;
	double		tot = 0.0;

	if (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED)
	{
		S = palloc(sizeof(double) * d * d);
		A = palloc(sizeof(double) * d * d);
		T = palloc(sizeof(double) * d * d);
	}
	for (int j = 0; j < k; j++)
	{
		const double *s2 = s->s2 + (Size) j * s2n;
		double		q = 0.0;

		if (s->nk[j] == 0.0)
			continue;
		switch (s->cov_type)
		{
			case GMM_COV_FULL:
			case GMM_COV_TIED:
				unpack_s2(s2, s->cov_type, d, S);
				q = trace_solve(p->chol + (Size) j * p->chol_stride, S, d, A, T);
				break;
			case GMM_COV_DIAG:
				for (int i = 0; i < d; i++)
					q += s2[i] / cov[(Size) j * d + i];
				break;
			case GMM_COV_SPHERICAL:
				for (int i = 0; i < d; i++)
					q += s2[i];
				q /= cov[j];
				break;
		}
		tot += s->nk[j] * p->log_norm[j] - 0.5 * q;
	}
	return tot - s->sum_ll;
}

/* log |Sigma_j| of covariance block j of m */
static double
cov_logdet(const Gmm *m, int j, double *work)
{
	int			d = m->d;
	const double *c = GMM_COVS(m);
	double		ld = 0.0;

	switch (m->cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			memcpy(work, c + (m->cov_type == GMM_COV_FULL ? (Size) j * d * d : 0),
				   sizeof(double) * d * d);
			if (gmm_cholesky(work, d) != 0)
				return NAN;
			return gmm_chol_logdet(work, d);
		case GMM_COV_DIAG:
			for (int i = 0; i < d; i++)
				ld += log(c[(Size) j * d + i]);
			return ld;
		default:
			return d * log(c[j]);
	}
}

/* scikit-learn's _log_wishart_norm */
static double
log_wishart_norm(double nu, double log_det_chol, int d)
{
	double		g = 0.0;

	for (int i = 0; i < d; i++)
		g += lgamma(0.5 * (nu - i));
	return -(nu * log_det_chol + nu * 0.5 * d * M_LN2 + g);
}

/*
 * The lower bound of new model m (section values v) for statistics s
 * collected under sm: scikit-learn's _compute_lower_bound
 */
static double
lower_bound(const GmmSuff *s, const Gmm *sm, const Gmm *m, const double *v,
			const double *wc, const double *beta, const double *nu)
{
	int			k = m->k,
				d = m->d,
				type = (int) v[GMM_VB_TYPE];
	double	   *work = palloc(sizeof(double) * d * d);
	double		log_wishart = 0.0,
				log_norm_weight = 0.0,
				sum_log_beta = 0.0;

	if (m->cov_type == GMM_COV_TIED)
	{
		double		ldc = -0.5 * cov_logdet(m, 0, work) - 0.5 * d * log(nu[0]);

		log_wishart = k * log_wishart_norm(nu[0], ldc, d);
	}
	else
		for (int j = 0; j < k; j++)
		{
			double		ldc = -0.5 * cov_logdet(m, j, work) - 0.5 * d * log(nu[j]);

			log_wishart += log_wishart_norm(nu[j], ldc, d);
		}
	if (type == GMM_VB_DIRICHLET_PROCESS)
	{
		for (int j = 0; j < k; j++)
		{
			double		a = wc[j],
						b = wc[k + j];

			log_norm_weight -= lgamma(a) + lgamma(b) - lgamma(a + b);
		}
	}
	else
	{
		double		tot = 0.0;

		for (int j = 0; j < k; j++)
		{
			tot += wc[j];
			log_norm_weight -= lgamma(wc[j]);
		}
		log_norm_weight += lgamma(tot);
	}
	for (int j = 0; j < k; j++)
		sum_log_beta += log(beta[j]);
	pfree(work);
	return -resp_neg_entropy(s, sm) - log_wishart - log_norm_weight -
		0.5 * d * sum_log_beta;
}

/* The variational M-step (scikit-learn's _m_step) with the lower bound */
Gmm *
gmm_vb_mstep(const GmmSuff *s, const Gmm *sm, const double *hdr)
{
	int			k = s->k,
				d = s->d,
				cov_type = s->cov_type,
				type = (int) hdr[GMM_VB_TYPE];
	Size		s2n = gmm_s2_count(cov_type, d),
				np = gmm_vb_prior_count(cov_type, d),
				nv = gmm_vb_section_count(cov_type, k, d, type);
	double		reg = hdr[GMM_VB_REG],
				wc0 = hdr[GMM_VB_WC0],
				beta0 = hdr[GMM_VB_BETA0],
				nu0 = hdr[GMM_VB_NU0];
	const double *m0 = hdr + GMM_VB_M0,
			   *c0 = m0 + d;
	double	   *v = palloc(sizeof(double) * nv);
	double	   *wc = v + np,
			   *beta = wc + (type == GMM_VB_DIRICHLET_PROCESS ? 2 * k : k),
			   *nu = beta + k;
	double	   *ns = palloc(sizeof(double) * k);
	double	   *xk = palloc(sizeof(double) * (Size) k * d);
	bool		matrix = (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED);
	/* scatter about xk: full k x d x d, tied one d x d sum, diag/spherical k x d */
	Size		per = matrix ? (Size) d * d : (Size) d;
	double	   *sc = palloc0(sizeof(double) * (cov_type == GMM_COV_TIED ? per : (Size) k * per));
	double	   *S2 = matrix ? palloc(sizeof(double) * d * d) : NULL;
	double	   *diff = palloc(sizeof(double) * d);
	double		ns_tot = 0.0;
	Gmm		   *m = gmm_alloc(cov_type, k, d);
	double	   *mu = GMM_MEANS(m),
			   *cov = GMM_COVS(m);
	Gmm		   *out;

	memcpy(v, hdr, sizeof(double) * np);
	v[GMM_VB_FORM] = GMM_VB_FORM_MODEL;

	/* scikit-learn's _estimate_gaussian_parameters: nk, xk, scatter */
	for (int j = 0; j < k; j++)
	{
		const double *c = s->shift + (Size) j * d,
				   *s1 = s->s1 + (Size) j * d,
				   *s2 = s->s2 + (Size) j * s2n;
		double		n = s->nk[j];
		double	   *S = sc + (cov_type == GMM_COV_TIED ? 0 : (Size) j * per);

		ns[j] = n + VB_NK_EPS;
		ns_tot += ns[j];
		/* xk = (n c + s1) / ns, delta = xk - c */
		for (int i = 0; i < d; i++)
		{
			diff[i] = (s1[i] - VB_NK_EPS * c[i]) / ns[j];
			xk[(Size) j * d + i] = c[i] + diff[i];
		}
		if (matrix)
		{
			unpack_s2(s2, cov_type, d, S2);
			for (int i = 0; i < d; i++)
				for (int t = 0; t < d; t++)
					S[(Size) i * d + t] += S2[(Size) i * d + t] - diff[i] * s1[t] -
						s1[i] * diff[t] + n * diff[i] * diff[t];
		}
		else
			for (int i = 0; i < d; i++)
				S[i] = s2[i] - 2.0 * diff[i] * s1[i] + n * diff[i] * diff[i];
	}

	/* weights: _estimate_weights */
	if (type == GMM_VB_DIRICHLET_PROCESS)
	{
		double		acc = 0.0;

		for (int j = k - 1; j >= 0; j--)
		{
			wc[j] = 1.0 + ns[j];
			wc[k + j] = wc0 + acc;
			acc += ns[j];
		}
	}
	else
		for (int j = 0; j < k; j++)
			wc[j] = wc0 + ns[j];
	expected_weights(type, wc, k, GMM_WEIGHTS(m));

	/* means: _estimate_means */
	for (int j = 0; j < k; j++)
	{
		beta[j] = beta0 + ns[j];
		for (int i = 0; i < d; i++)
			mu[(Size) j * d + i] = (beta0 * m0[i] + ns[j] * xk[(Size) j * d + i]) / beta[j];
	}

	/* precisions: _estimate_wishart_* */
	switch (cov_type)
	{
		case GMM_COV_FULL:
			for (int j = 0; j < k; j++)
			{
				double	   *C = cov + (Size) j * d * d;
				const double *S = sc + (Size) j * d * d;
				double		f = ns[j] * beta0 / beta[j];

				nu[j] = nu0 + ns[j];
				for (int i = 0; i < d; i++)
					diff[i] = xk[(Size) j * d + i] - m0[i];
				for (int i = 0; i < d; i++)
					for (int t = 0; t < d; t++)
					{
						double		sk = S[(Size) i * d + t] / ns[j] + (i == t ? reg : 0.0);

						C[(Size) i * d + t] = (c0[(Size) i * d + t] + ns[j] * sk +
											   f * diff[i] * diff[t]) / nu[j];
					}
			}
			break;
		case GMM_COV_TIED:
			{
				double		nut = nu0 + ns_tot / k;

				for (int j = 0; j < k; j++)
					nu[j] = nut;
				for (int i = 0; i < d; i++)
					for (int t = 0; t < d; t++)
					{
						double		sk = 0.0,
									pm = 0.0;

						for (int j = 0; j < k; j++)
							pm += ns[j] / beta[j] * (xk[(Size) j * d + i] - m0[i]) *
								(xk[(Size) j * d + t] - m0[t]);
						sk = sc[(Size) i * d + t] / ns_tot + (i == t ? reg : 0.0);
						cov[(Size) i * d + t] = (c0[(Size) i * d + t] + sk * ns_tot / k +
												 beta0 / k * pm) / nut;
					}
				break;
			}
		case GMM_COV_DIAG:
			for (int j = 0; j < k; j++)
			{
				nu[j] = nu0 + ns[j];
				for (int i = 0; i < d; i++)
				{
					double		sk = sc[(Size) j * d + i] / ns[j] + reg;
					double		df = xk[(Size) j * d + i] - m0[i];

					cov[(Size) j * d + i] = (c0[i] + ns[j] * (sk + beta0 / beta[j] * df * df)) / nu[j];
				}
			}
			break;
		case GMM_COV_SPHERICAL:
			for (int j = 0; j < k; j++)
			{
				double		sk = 0.0,
							dd = 0.0;

				nu[j] = nu0 + ns[j];
				for (int i = 0; i < d; i++)
				{
					double		df = xk[(Size) j * d + i] - m0[i];

					sk += sc[(Size) j * d + i] / ns[j] + reg;
					dd += df * df;
				}
				sk /= d;
				cov[j] = (c0[0] + ns[j] * (sk + beta0 / beta[j] * (dd / d))) / nu[j];
			}
			break;
	}
	gmm_canonicalize(m);
	m->flags = GMM_FLAG_FITTED;
	v[GMM_VB_LB] = lower_bound(s, sm, m, v, wc, beta, nu);
	out = gmm_with_section(m, GMM_FLAG_BAYES, v, (int) nv);
	pfree(m);
	pfree(v);
	pfree(ns);
	pfree(xk);
	pfree(sc);
	if (S2)
		pfree(S2);
	pfree(diff);
	return out;
}

/* ---------------------------------------------------------------------
 * E-step form
 * ---------------------------------------------------------------------
 */

/*
 * The E-step form of m: weights proportional to exp(E[log pi_j]
 * + 1/2 (d log 2 + sum_i digamma((nu_j - i) / 2) - d / beta_j) - d/2 log nu_j)
 * (scikit-learn's _estimate_log_weights + _estimate_log_prob beyond the
 * Gaussian density under the normalised covariances)
 */
Gmm *
gmm_vb_estep_model(const Gmm *m)
{
	int			k = m->k,
				d = m->d,
				n;
	const double *v = gmm_section(m, GMM_FLAG_BAYES, &n);
	int			type = (int) v[GMM_VB_TYPE];
	Size		np = gmm_vb_prior_count(m->cov_type, d);
	const double *wc = v + np,
			   *beta = wc + (type == GMM_VB_DIRICHLET_PROCESS ? 2 * k : k),
			   *nu = beta + k;
	double	   *c = palloc(sizeof(double) * k);
	double		mx = -INFINITY,
				tot = 0.0;
	Gmm		   *e;
	int			ne;
	double	   *ev;

	expected_log_weights(type, wc, k, c);
	for (int j = 0; j < k; j++)
	{
		double		ll = d * M_LN2;

		for (int i = 0; i < d; i++)
			ll += gmm_digamma(0.5 * (nu[j] - i));
		c[j] += 0.5 * (ll - d / beta[j]) - 0.5 * d * log(nu[j]);
		mx = Max(mx, c[j]);
	}
	e = palloc(VARSIZE(m));
	memcpy(e, m, VARSIZE(m));
	for (int j = 0; j < k; j++)
		tot += (GMM_WEIGHTS(e)[j] = exp(c[j] - mx));
	for (int j = 0; j < k; j++)
		GMM_WEIGHTS(e)[j] /= tot;
	ev = (double *) gmm_section(e, GMM_FLAG_BAYES, &ne);
	ev[GMM_VB_FORM] = GMM_VB_FORM_ESTEP;
	pfree(c);
	return e;
}
