/*
 * logpdf.c
 *	  The vectorised per-point kernel of logpdf.h.  Scoring one point is a
 *	  short forward substitution per component whose steps wait on each
 *	  other; computing four components per vector register (two registers
 *	  side by side) removes both the waiting and the divisions.  For that the
 *	  model is laid out component-minor once:
 *		mu[i][j]		means
 *		lt[i][t][j]		full/tied: L_j[i][t] for t < i, 1 / L_j[i][i] at t = i
 *		is[i][j]		diag/spherical: 1 / sigma_ji
 *	  with j padded to a multiple of four (padding components are never
 *	  stored to out).  Per component the operations and their order are
 *	  those of the one-at-a-time loop in prepare.c, except that the diagonal
 *	  is multiplied by its reciprocal instead of divided by.
 *
 *	  The layout is allocated in the prepared model's memory context and
 *	  hangs off the prepared model itself (GmmPrepared.vec), so that it
 *	  lives and dies with the model and is never found for another one.
 */
#include "postgres.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-trapping-math")
#endif

#include <math.h>

#include "utils/memutils.h"

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
		return (GmmVecModel *) p->vec;
	if (values > GMM_VEC_MAX_VALUES)
		return NULL;
	((GmmPrepared *) p)->vec = gmm_vec_build(p);
	return (GmmVecModel *) p->vec;
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

/* out[j] for every component, or false for too large models or no AVX2 */
bool
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
