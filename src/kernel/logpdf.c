/*
 * kernel/logpdf.c
 *	  Prepared models (log weights, Cholesky factors, inverse standard
 *	  deviations) and the per-point log-density kernels in log space, with
 *	  an exact long-double path for points far from every component.
 *
 *	  The first half is the vectorised per-point kernel.  Scoring one point
 *	  is a short forward substitution per component whose steps wait on each
 *	  other; computing four components per vector register (two registers
 *	  side by side) removes both the waiting and the divisions.  For that the
 *	  model is laid out component-minor once:
 *		mu[i][j]		means
 *		lt[i][t][j]		full/tied: L_j[i][t] for t < i, 1 / L_j[i][i] at t = i
 *		is[i][j]		diag/spherical: 1 / sigma_ji
 *	  with j padded to a multiple of four (padding components are never
 *	  stored to out).  Per component the operations and their order are
 *	  those of the one-at-a-time loop in gmm_mahalanobis_sq below, except
 *	  that the diagonal is multiplied by its reciprocal instead of divided by.
 *
 *	  The layout is allocated in the prepared model's memory context and
 *	  hangs off the prepared model itself (GmmPrepared.vec), so that it
 *	  lives and dies with the model and is never found for another one.
 *	  Only that half is built with no-trapping-math.
 */
#include "postgres.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize ("no-trapping-math")
#endif

#include <math.h>

#include "utils/memutils.h"

#include "kernel/linalg.h"
#include "kernel/logpdf.h"
#include "kernel/vecmath.h"

/* models whose layout would take more doubles than this are not cached */
#define GMM_VEC_MAX_VALUES	(1 << 20)

typedef struct GmmVecModel
{
	int			kp;				/* k rounded up to a multiple of 4 */
	double	   *mu;				/* d x kp */
	double	   *lt;				/* full/tied: d x d x kp, else NULL */
	double	   *is;				/* diag/spherical: d x kp, else NULL */
	double	   *z;				/* d x kp scratch */
	double	   *e;				/* kp scratch */
} GmmVecModel;

/* Build the component-minor layout of p in p's memory context */
static GmmVecModel *
gmm_vec_build(const GmmPrepared *p)
{
	int			k = p->k,
				d = p->d,
				kp = (k + 3) & ~3;
	GmmVecModel *v = MemoryContextAllocZero(p->cxt, sizeof(GmmVecModel));

	v->kp = kp;
	v->mu = MemoryContextAllocZero(p->cxt, sizeof(double) * d * kp);
	v->z = MemoryContextAllocZero(p->cxt, sizeof(double) * d * kp);
	v->e = MemoryContextAllocZero(p->cxt, sizeof(double) * kp);
	for (int j = 0; j < k; j++)
		for (int i = 0; i < d; i++)
			v->mu[i * kp + j] = p->means[(Size) j * d + i];
	if (p->chol != NULL)
	{
		v->lt = MemoryContextAllocZero(p->cxt, sizeof(double) * d * d * kp);
		for (int j = 0; j < kp; j++)
		{
			const double *L = p->chol + Min(j, k - 1) * p->chol_stride;

			for (int i = 0; i < d; i++)
			{
				for (int t = 0; t < i; t++)
					v->lt[((Size) i * d + t) * kp + j] = (j < k) ? L[(Size) i * d + t] : 0.0;
				v->lt[((Size) i * d + i) * kp + j] = (j < k) ? 1.0 / L[(Size) i * d + i] : 1.0;
			}
		}
	}
	else
	{
		v->is = MemoryContextAllocZero(p->cxt, sizeof(double) * d * kp);
		for (int j = 0; j < kp; j++)
			for (int i = 0; i < d; i++)
				v->is[i * kp + j] = (j < k) ? p->inv_std[(Size) j * d + i] : 1.0;
	}
	return v;
}

/*
 * The layout of p, built on first use; NULL for too large models.  The
 * prepared model is const to its users; its layout is a cache in it.
 */
static GmmVecModel *
gmm_vec_lookup(const GmmPrepared *p)
{
	int			kp = (p->k + 3) & ~3;
	double		values = (double) kp * p->d * ((p->chol != NULL) ? p->d + 2 : 3);

	if (p->vec != NULL)
		return p->vec;
	if (values > GMM_VEC_MAX_VALUES)
		return NULL;
	((GmmPrepared *) p)->vec = gmm_vec_build(p);
	return p->vec;
}

/*
 * Full/tied: |z|^2 for components j0..j0+3 (and j0+4..j0+7 when "two"),
 * z = L^-1 (x - mu), into q.
 */
static pg_attribute_always_inline void
gmm_vec_full(const GmmVecModel *v, int d, int j0, bool two,
			 const double *x, double *q)
{
	int			kp = v->kp;
	double	   *z = v->z;
	gmm_v4		qa = {0},
				qb = {0};

	for (int i = 0; i < d; i++)
	{
		const double *lrow = v->lt + (Size) i * d * kp + j0;
		const double *m = v->mu + (Size) i * kp + j0;
		gmm_v4		sa = x[i] - GMM_V4(m),
					sb = {0};

		if (two)
		{
			sb = x[i] - GMM_V4(m + 4);
			for (int t = 0; t < i; t++)
			{
				sa -= GMM_V4(lrow + (Size) t * kp) * GMM_V4(z + (Size) t * kp + j0);
				sb -= GMM_V4(lrow + (Size) t * kp + 4) * GMM_V4(z + (Size) t * kp + j0 + 4);
			}
			sb *= GMM_V4(lrow + (Size) i * kp + 4);
			GMM_V4_STORE(z + (Size) i * kp + j0 + 4, sb);
			qb += sb * sb;
		}
		else
			for (int t = 0; t < i; t++)
				sa -= GMM_V4(lrow + (Size) t * kp) * GMM_V4(z + (Size) t * kp + j0);
		sa *= GMM_V4(lrow + (Size) i * kp);
		GMM_V4_STORE(z + (Size) i * kp + j0, sa);
		qa += sa * sa;
	}
	GMM_V4_STORE(q, qa);
	GMM_V4_STORE(q + 4, qb);
}

/* Diag/spherical: the same with z_i = (x_i - mu_i) / sigma_i */
static pg_attribute_always_inline void
gmm_vec_diag(const GmmVecModel *v, int d, int j0, bool two,
			 const double *x, double *q)
{
	int			kp = v->kp;
	gmm_v4		qa = {0},
				qb = {0};

	for (int i = 0; i < d; i++)
	{
		const double *m = v->mu + (Size) i * kp + j0;
		const double *s = v->is + (Size) i * kp + j0;
		gmm_v4		ta = (x[i] - GMM_V4(m)) * GMM_V4(s);

		qa += ta * ta;
		if (two)
		{
			gmm_v4		tb = (x[i] - GMM_V4(m + 4)) * GMM_V4(s + 4);

			qb += tb * tb;
		}
	}
	GMM_V4_STORE(q, qa);
	GMM_V4_STORE(q + 4, qb);
}

/*
 * The kernel over all components, built for several instruction sets:
 * out[j] for every component; with ll, also log p(x) = log sum exp out[j]
 * into *ll and, with e, exp(out[j] - max) into e (k values).
 */
GMM_MULTIARCH static void
gmm_vec_run(const GmmPrepared *p, const GmmVecModel *v, const double *x,
			double *out, double *ll, double *e)
{
	int			k = p->k,
				d = p->d;
	double		q[8];
	double		mx = -INFINITY,
				sum = 0.0;
	double	   *ev = v->e;

	for (int j0 = 0; j0 < k; j0 += 8)
	{
		bool		two = (j0 + 4 < k);

		if (v->lt)
			gmm_vec_full(v, d, j0, two, x, q);
		else
			gmm_vec_diag(v, d, j0, two, x, q);
		for (int a = 0; a < 8 && j0 + a < k; a++)
			out[j0 + a] = p->log_norm[j0 + a] - 0.5 * q[a];
	}
	if (ll == NULL)
		return;
	for (int j = 0; j < k; j++)
		mx = (out[j] > mx) ? out[j] : mx;
	if (isinf(mx))
	{
		/* all -inf (or a +inf): as gmm_logsumexp */
		*ll = mx;
		if (e)
			memset(e, 0, sizeof(double) * k);
		return;
	}
	/* libm's exp: a few short latency chains beat a long vector polynomial */
	for (int j = 0; j < k; j++)
	{
		ev[j] = exp(out[j] - mx);
		sum += ev[j];
	}
	*ll = mx + log(sum);
	if (e)
		memcpy(e, ev, sizeof(double) * k);
}

/*
 * out[j] = log w_j + log N(x | mu_j, Sigma_j); false (and nothing written)
 * for models too large for the cached layout, and on CPUs without AVX2
 * (see gmm_fast_vectors).  Calling thread only.
 */
static bool
gmm_logpdfs_vec(const GmmPrepared *p, const double *x, double *out)
{
	GmmVecModel *v;

	if (!gmm_fast_vectors() || (v = gmm_vec_lookup(p)) == NULL)
		return false;
	gmm_vec_run(p, v, x, out, NULL, NULL);
	return true;
}

/* log p(x) into *ll as well (and e), or false for too large models */
bool
gmm_point_logpdf_vec(const GmmPrepared *p, const double *x, double *lp,
					 double *ll, double *e)
{
	GmmVecModel *v;

	if (!gmm_fast_vectors() || (v = gmm_vec_lookup(p)) == NULL)
		return false;
	gmm_vec_run(p, v, x, lp, ll, e);
	return true;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/* ---------------------------------------------------------------------
 * Prepared models and the one-component-at-a-time kernels
 * ---------------------------------------------------------------------
 */

/* Factorise a validated model into cxt */
GmmPrepared *
gmm_prepare(const Gmm *m, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	GmmPrepared *p = palloc0(sizeof(GmmPrepared));
	int			k = m->k,
				d = m->d;
	const double *w = GMM_WEIGHTS(m);
	const double *c = GMM_COVS(m);
	Gmm		   *copy = palloc(VARSIZE(m));

	memcpy(copy, m, VARSIZE(m));
	p->model = copy;
	p->cxt = cxt;
	p->k = k;
	p->d = d;
	p->cov_type = m->cov_type;
	p->log_norm = palloc(sizeof(double) * k);
	p->means = GMM_MEANS(copy);
	p->work = palloc(sizeof(double) * (2 * d + 2 * k));

	switch (m->cov_type)
	{
		case GMM_COV_FULL:
		case GMM_COV_TIED:
			{
				int			nmat = (m->cov_type == GMM_COV_FULL) ? k : 1;
				Size		dd = (Size) d * d;

				p->chol_stride = (m->cov_type == GMM_COV_FULL) ? dd : 0;
				p->chol = palloc(mul_size(sizeof(double), mul_size(nmat, dd)));
				memcpy(p->chol, c, sizeof(double) * nmat * dd);
				for (int j = 0; j < nmat; j++)
				{
					double	   *L = p->chol + j * dd;

					if (gmm_cholesky(L, d) != 0)
						ereport(ERROR,
								(errcode(ERRCODE_DATA_EXCEPTION),
								 errmsg("covariance matrix of component %d is not positive definite", j + 1)));
				}
				for (int j = 0; j < k; j++)
					p->log_norm[j] = log(w[j]) - 0.5 * d * GMM_LOG_2PI
						- 0.5 * gmm_chol_logdet(p->chol + j * p->chol_stride, d);
				break;
			}
		case GMM_COV_DIAG:
		case GMM_COV_SPHERICAL:
			p->inv_std = palloc(mul_size(sizeof(double), mul_size(k, d)));
			for (int j = 0; j < k; j++)
			{
				double		logdet = 0.0;

				for (int i = 0; i < d; i++)
				{
					double		v = (m->cov_type == GMM_COV_DIAG) ? c[(Size) j * d + i] : c[j];

					p->inv_std[(Size) j * d + i] = 1.0 / sqrt(v);
					logdet += log(v);
				}
				p->log_norm[j] = log(w[j]) - 0.5 * d * GMM_LOG_2PI - 0.5 * logdet;
			}
			break;
	}
	MemoryContextSwitchTo(old);
	return p;
}

/*
 * Squared Mahalanobis distance of x to component j; z is d doubles of
 * scratch.  +inf when it overflows (never NaN: an overflowed z_i would
 * give 0 * inf or inf - inf further down the forward substitution).
 */
double
gmm_mahalanobis_sq(const GmmPrepared *p, int j, const double *x, double *z)
{
	int			d = p->d;
	const double *mu = p->means + (Size) j * d;
	double		q = 0.0;

	if (p->chol != NULL)
	{
		const double *L = p->chol + j * p->chol_stride;

		/* forward substitution on the centred point, fused with |z|^2 */
		for (int i = 0; i < d; i++)
		{
			const double *row = L + (Size) i * d;
			double		s = x[i] - mu[i];

			for (int t = 0; t < i; t++)
				s -= row[t] * z[t];
			z[i] = s / row[i];
			q += z[i] * z[i];
		}
	}
	else
	{
		const double *is = p->inv_std + (Size) j * d;

		for (int i = 0; i < d; i++)
		{
			double		t = (x[i] - mu[i]) * is[i];

			q += t * t;
		}
	}
	return isnan(q) ? INFINITY : q;
}

/* ---------------------------------------------------------------------
 * The exact path.  The kernels above work in double: far from every
 * component (|x - mu| / sigma beyond about 1e154) |z|^2 overflows, every
 * log density becomes -inf (or NaN from 0 * inf), and even before that
 * the rounding of |z|^2 can decide which component is nearest.  For such
 * points the log densities are computed again in long double (whose
 * exponent range holds |z|^2 for any finite point and model), relative to
 * the best component r; where component j shares r's covariance factor,
 * |z_j|^2 - |z_r|^2 is computed as (z_j - z_r) . (z_j + z_r), which
 * needs no cancellation, so the nearer of two components of equal shape
 * wins however far away the point is.
 * ---------------------------------------------------------------------
 */

typedef long double gmm_ld;

/* log densities below this (far from every component) take the exact path for rankings */
#define GMM_FAR_LOGPDF	(-1e6)

/* z = L_j^-1 v (full/tied) or v * inv_std_j (diag/spherical); returns |z|^2 */
static gmm_ld
ld_whiten(const GmmPrepared *p, int j, const gmm_ld *v, gmm_ld *z)
{
	int			d = p->d;
	gmm_ld		q = 0.0L;

	if (p->chol != NULL)
	{
		const double *L = p->chol + j * p->chol_stride;

		for (int i = 0; i < d; i++)
		{
			const double *row = L + (Size) i * d;
			gmm_ld		s = v[i];

			for (int t = 0; t < i; t++)
				s -= (gmm_ld) row[t] * z[t];
			z[i] = s / row[i];
			q += z[i] * z[i];
		}
	}
	else
	{
		const double *is = p->inv_std + (Size) j * d;

		for (int i = 0; i < d; i++)
		{
			z[i] = v[i] * (gmm_ld) is[i];
			q += z[i] * z[i];
		}
	}
	return q;
}

/* Do components a and b share their covariance factor? */
static bool
same_factor(const GmmPrepared *p, int a, int b)
{
	if (p->chol != NULL)
		return p->chol_stride == 0 ||
			memcmp(p->chol + a * p->chol_stride, p->chol + b * p->chol_stride,
				   sizeof(double) * p->chol_stride) == 0;
	return memcmp(p->inv_std + (Size) a * p->d, p->inv_std + (Size) b * p->d,
				  sizeof(double) * p->d) == 0;
}

/*
 * |z_j|^2 - |z_r|^2 at x, given q_j and q_r; v, u, z are d long doubles of
 * scratch.  Where the factors agree it is u . (2 L^-1 x) - u . L^-1 (mu_j
 * + mu_r) with u = z_j - z_r = L^-1 (mu_r - mu_j): the terms in x, which
 * may be huge and cancel, are summed apart from the small ones.
 */
static gmm_ld
ld_sq_diff(const GmmPrepared *p, int j, int r, const double *x,
		   gmm_ld qj, gmm_ld qr, gmm_ld *v, gmm_ld *u, gmm_ld *z)
{
	int			d = p->d;
	const double *mj = p->means + (Size) j * d;
	const double *mr = p->means + (Size) r * d;
	gmm_ld		big = 0.0L,
				small = 0.0L;

	if (p->chol == NULL)
	{
		/* per dimension, exact where the two scales agree */
		const double *isj = p->inv_std + (Size) j * d;
		const double *isr = p->inv_std + (Size) r * d;

		for (int i = 0; i < d; i++)
		{
			if (isj[i] == isr[i])
			{
				gmm_ld		a = ((gmm_ld) mr[i] - mj[i]) * isj[i] * isj[i];

				big += a * (2.0L * x[i]);
				small += a * ((gmm_ld) mj[i] + mr[i]);
			}
			else
			{
				gmm_ld		aj = ((gmm_ld) x[i] - mj[i]) * isj[i],
							ar = ((gmm_ld) x[i] - mr[i]) * isr[i];

				big += aj * aj - ar * ar;
			}
		}
		return big - small;
	}
	if (!same_factor(p, j, r))
		return qj - qr;
	for (int i = 0; i < d; i++)
		v[i] = (gmm_ld) mr[i] - mj[i];
	ld_whiten(p, j, v, u);
	for (int i = 0; i < d; i++)
		v[i] = 2.0L * x[i];
	ld_whiten(p, j, v, z);
	for (int i = 0; i < d; i++)
		big += u[i] * z[i];
	for (int i = 0; i < d; i++)
		v[i] = (gmm_ld) mj[i] + mr[i];
	ld_whiten(p, j, v, z);
	for (int i = 0; i < d; i++)
		small += u[i] * z[i];
	return big - small;
}

/*
 * The exact path: rel[j] = lp_j - lp_r in long double (-inf for components
 * of zero weight, 0 for r), *ref = r; returns lp_r = log w_r + log N(x | r)
 */
static gmm_ld
ld_logpdfs(const GmmPrepared *p, const double *x, gmm_ld *rel, int *ref)
{
	int			k = p->k,
				d = p->d;
	gmm_ld	   *q = palloc(sizeof(gmm_ld) * k);
	gmm_ld	   *v = palloc(sizeof(gmm_ld) * 3 * (Size) d);
	gmm_ld	   *u = v + d,
			   *z = v + 2 * (Size) d;
	gmm_ld		best = 0.0L;
	int			r = -1;

	for (int j = 0; j < k; j++)
	{
		const double *mu = p->means + (Size) j * d;
		gmm_ld		lpj;

		if (isinf(p->log_norm[j]))
			continue;			/* zero weight */
		for (int i = 0; i < d; i++)
			v[i] = (gmm_ld) x[i] - mu[i];
		q[j] = ld_whiten(p, j, v, z);
		lpj = p->log_norm[j] - 0.5L * q[j];
		if (r < 0 || lpj > best)
			r = j, best = lpj;
	}
	for (int j = 0; j < k; j++)
	{
		if (isinf(p->log_norm[j]) || r < 0)
			rel[j] = -INFINITY;
		else if (j == r)
			rel[j] = 0.0L;
		else
			rel[j] = ((gmm_ld) p->log_norm[j] - p->log_norm[r])
				- 0.5L * ld_sq_diff(p, j, r, x, q[j], q[r], v, u, z);
	}
	pfree(q);
	pfree(v);
	*ref = Max(r, 0);
	return (r < 0) ? -INFINITY : best;
}

/* what the caller of lp_unreliable needs from lp */
typedef enum LpUse
{
	LP_SUM,						/* log p(x) only */
	LP_RANKING,					/* also the responsibilities and the argmax */
	LP_EACH						/* every component's own value */
} LpUse;

/*
 * Can lp (k values from the double kernels) not be trusted for "use": a
 * NaN, every component -inf although one has weight (|z|^2 overflowed);
 * for LP_RANKING, a point so far from every component that rounding may
 * decide; for LP_EACH, any component of positive weight at -inf (its
 * |z|^2 overflowed, but half of it may still be a float8)?
 */
static bool
lp_unreliable(const GmmPrepared *p, const double *lp, LpUse use)
{
	double		mx = -INFINITY;
	bool		weighted = false,
				lost = false;

	for (int j = 0; j < p->k; j++)
	{
		if (isnan(lp[j]))
			return true;
		if (lp[j] > mx)
			mx = lp[j];
		weighted |= !isinf(p->log_norm[j]);
		lost |= (lp[j] == -INFINITY && !isinf(p->log_norm[j]));
	}
	if (mx == -INFINITY)
		return weighted;
	if (use == LP_EACH)
		return lost;
	return use == LP_RANKING && mx < GMM_FAR_LOGPDF;
}

/*
 * The exact path into lp (double; -inf where below float8's range); with
 * resp, also p(j | x) normalised to sum 1 and the most probable component
 * (the first on ties) into *best.  Returns log p(x).  Only p's k, d, means,
 * log_norm, chol, chol_stride and inv_std are used, so that a caller can
 * point a GmmPrepared at factors of its own (see infer.c).
 */
double
gmm_point_posterior_exact(const GmmPrepared *p, const double *x, double *lp,
						  double *resp, int *best)
{
	int			k = p->k,
				r;
	gmm_ld	   *rel = palloc(sizeof(gmm_ld) * k);
	gmm_ld		lpr = ld_logpdfs(p, x, rel, &r),
				mx = -INFINITY,
				sum = 0.0L;
	int			b = r;

	for (int j = 0; j < k; j++)
		if (rel[j] > mx || (rel[j] == mx && j < b))
			mx = rel[j], b = j;
	for (int j = 0; j < k; j++)
		sum += expl(rel[j] - mx);
	for (int j = 0; j < k; j++)
	{
		lp[j] = (double) (lpr + rel[j]);
		if (resp)
			resp[j] = (double) (expl(rel[j] - mx) / sum);
	}
	if (best)
		*best = b;
	pfree(rel);
	return (double) (lpr + mx + logl(sum));
}

/*
 * out[j] = log w_j + log N(x | mu_j, Sigma_j) for every component.  Models
 * of modest size go through the vectorised kernel above (several
 * components at once, from a per-model layout cached with the prepared
 * model); the rest here: full and tied, forward substitution against the
 * Cholesky factor fused with |z|^2; diag and spherical, one pass over the
 * dimensions.  Points whose densities overflow take the exact path.
 */
void
gmm_weighted_logpdfs(const GmmPrepared *p, const double *x, double *out)
{
	if (!gmm_logpdfs_vec(p, x, out))
		for (int j = 0; j < p->k; j++)
			out[j] = isinf(p->log_norm[j]) ? -INFINITY :
				p->log_norm[j] - 0.5 * gmm_mahalanobis_sq(p, j, x, p->work);
	if (unlikely(lp_unreliable(p, out, LP_EACH)))
		gmm_point_posterior_exact(p, x, out, NULL, NULL);
}

/* log(sum(exp(v))) without overflow or underflow; -inf if all are -inf */
double
gmm_logsumexp(const double *v, int n)
{
	double		mx = -INFINITY,
				s = 0.0;

	for (int i = 0; i < n; i++)
		if (v[i] > mx)
			mx = v[i];
	if (isinf(mx))
		return mx;
	for (int i = 0; i < n; i++)
		s += exp(v[i] - mx);
	return mx + log(s);
}

/* log p(x); lp (k values) receives the weighted component log densities */
double
gmm_point_logpdf(const GmmPrepared *p, const double *x, double *lp)
{
	double		ll;

	if (gmm_point_logpdf_vec(p, x, lp, &ll, NULL))
	{
		if (likely(isfinite(ll)) || !lp_unreliable(p, lp, LP_SUM))
			return ll;
		return gmm_point_posterior_exact(p, x, lp, NULL, NULL);
	}
	gmm_weighted_logpdfs(p, x, lp);
	return gmm_logsumexp(lp, p->k);
}

/*
 * log p(x), with lp as gmm_point_logpdf, the responsibilities p(j | x)
 * into resp (normalised: they sum to 1 up to rounding) and the most
 * probable component (0-based, the first on ties) into *best.  Points far
 * from every component take the exact path, so that the nearer component
 * wins even where the densities underflow.  With resp NULL only *best is
 * wanted, and the return value is just the largest of lp.
 */
double
gmm_point_posterior(const GmmPrepared *p, const double *x, double *lp,
					double *resp, int *best)
{
	int			k = p->k,
				b = 0;
	double		mx,
				sum = 0.0;

	if (!gmm_logpdfs_vec(p, x, lp))
		for (int j = 0; j < k; j++)
			lp[j] = isinf(p->log_norm[j]) ? -INFINITY :
				p->log_norm[j] - 0.5 * gmm_mahalanobis_sq(p, j, x, p->work);
	if (unlikely(lp_unreliable(p, lp, LP_RANKING)))
		return gmm_point_posterior_exact(p, x, lp, resp, best);
	for (int j = 1; j < k; j++)
		if (lp[j] > lp[b])
			b = j;
	mx = lp[b];
	*best = b;
	if (resp == NULL)
		return mx;
	for (int j = 0; j < k; j++)
	{
		resp[j] = exp(lp[j] - mx);
		sum += resp[j];
	}
	for (int j = 0; j < k; j++)
		resp[j] /= sum;
	return mx + log(sum);
}
