/*
 * prepare.c
 *	  Models made ready for scoring (log weights, Cholesky factors, inverse
 *	  standard deviations), the per-query cache of them in fn_extra, and the
 *	  per-point log-density kernels in log space.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "storage/proc.h"
#include "utils/memutils.h"

#include "gmm.h"
#include "kernel/linalg.h"
#include "kernel/logpdf.h"

#define LOG_2PI 1.8378770664093454836

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
					p->log_norm[j] = log(w[j]) - 0.5 * d * LOG_2PI
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
				p->log_norm[j] = log(w[j]) - 0.5 * d * LOG_2PI - 0.5 * logdet;
			}
			break;
	}
	MemoryContextSwitchTo(old);
	return p;
}

/*
 * Per-call-site cache: for each model argument position, the last few
 * distinct models seen (a GROUP BY may interleave rows of several models).
 *
 * An entry is found again only from the argument's own bytes, never from
 * where the call comes from: PL/pgSQL, SQL functions and prepared
 * statements evaluate the same expression (and so the same fn_extra) with
 * a different value in the same Param from call to call.  Only a Const
 * argument (or an aggregate's PARAM_EXTERN one) is looked at once.
 */
#define GMM_CACHE_SLOTS		2
#define GMM_CACHE_ENTRIES	8

typedef struct GmmCacheEntry
{
	GmmPrepared *prep;
	struct varlena *key;		/* the bytes the entry is found by */
	LocalTransactionId lxid;	/* on-disk TOAST pointer keys: valid in this
								 * transaction only */
} GmmCacheEntry;

typedef struct GmmCacheSlot
{
	bool		is_const;		/* the argument cannot change (arg_is_const) */
	int			last;			/* entry of the last hit or miss */
	int			next;			/* entry to replace on a miss */
	GmmCacheEntry entry[GMM_CACHE_ENTRIES];
} GmmCacheSlot;

typedef struct GmmCache
{
	GmmCacheSlot slot[GMM_CACHE_SLOTS];
} GmmCache;

/*
 * Is argument argno the same value for every call through this FmgrInfo?
 * For a plain function only a Const in the call's own expression is: a
 * Param, even PARAM_EXTERN, is not, since PL/pgSQL evaluates a simple
 * expression again and again with the same expression state (and so the
 * same fn_extra) while its variables change.  For an aggregate's
 * transition function (argument 0 is the state) look at the Aggref's
 * argument: there a PARAM_EXTERN is fixed too, because an aggregate is
 * never part of a PL/pgSQL simple expression and every other new set of
 * parameter values (EXECUTE, SPI, a cursor, an SQL function's call) comes
 * with a new executor state.
 */
static bool
arg_is_const(FunctionCallInfo fcinfo, int argno)
{
	Node	   *expr = fcinfo->flinfo->fn_expr;
	List	   *args;

	if (AggCheckCallContext(fcinfo, NULL))
	{
		Aggref	   *aggref = AggGetAggref(fcinfo);
		Node	   *e;

		if (aggref == NULL || argno < 1 || argno > list_length(aggref->args) ||
			aggref->aggdistinct != NIL)
			return false;
		e = (Node *) ((TargetEntry *) list_nth(aggref->args, argno - 1))->expr;
		return IsA(e, Const) ||
			(IsA(e, Param) && ((Param *) e)->paramkind == PARAM_EXTERN);
	}
	if (expr == NULL)
		return false;
	if (IsA(expr, FuncExpr))
		args = ((FuncExpr *) expr)->args;
	else if (IsA(expr, OpExpr))
		args = ((OpExpr *) expr)->args;
	else
		return false;
	return argno < list_length(args) && IsA(list_nth(args, argno), Const);
}

/*
 * The key of a model argument as passed: its bytes, inline (plain, short
 * or compressed: equal compressed bytes mean an equal model) or, for an
 * on-disk TOAST pointer, the pointer (a value ID is not reused while a
 * transaction can still see the value).  Indirect and expanded datums
 * point into memory that may later hold something else: they are
 * flattened (into CurrentMemoryContext) and keyed by their contents.
 */
static struct varlena *
model_key(struct varlena *raw, bool *ondisk)
{
	*ondisk = VARATT_IS_EXTERNAL_ONDISK(raw);
	if (VARATT_IS_EXTERNAL(raw) && !*ondisk)
		return detoast_external_attr(raw);
	return raw;
}

/*
 * The prepared model of argument argno, cached in fn_extra for the query.
 * A constant argument (arg_is_const) is prepared once; any other is
 * compared with the cached entries by its key (model_key), so that a model
 * joined in from a table is neither decompressed nor factorised again for
 * every row, yet a call never gets a model other than its argument.
 */
GmmPrepared *
gmm_prepared_from_arg(FunctionCallInfo fcinfo, int argno)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	GmmCache   *cache = (GmmCache *) flinfo->fn_extra;
	GmmCacheSlot *slot;
	GmmCacheEntry *e;
	struct varlena *raw,
			   *key;
	Size		keysize;
	bool		ondisk;
	LocalTransactionId lxid = MyProc->lxid;
	MemoryContext cxt;

	Assert(argno >= 0 && argno < GMM_CACHE_SLOTS);
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(GmmCache));
		flinfo->fn_extra = cache;
	}
	slot = &cache->slot[argno];
	if (slot->is_const && slot->entry[slot->last].prep != NULL)
		return slot->entry[slot->last].prep;

	raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	key = model_key(raw, &ondisk);
	keysize = VARSIZE_ANY(key);
	/* the last entry used first: consecutive rows mostly share a model */
	for (int n = 0, i = slot->last; n < GMM_CACHE_ENTRIES;
		 n++, i = (i + 1) % GMM_CACHE_ENTRIES)
	{
		e = &slot->entry[i];
		if (e->prep != NULL && VARSIZE_ANY(e->key) == keysize &&
			memcmp(e->key, key, keysize) == 0 &&
			(!ondisk || e->lxid == lxid))
		{
			slot->last = i;
			if (key != raw)
				pfree(key);
			return e->prep;
		}
	}

	/* a miss: replace the next entry in turn */
	slot->last = slot->next;
	e = &slot->entry[slot->next];
	slot->next = (slot->next + 1) % GMM_CACHE_ENTRIES;
	if (e->prep != NULL)
	{
		MemoryContextDelete(e->prep->cxt);
		e->prep = NULL;
	}
	cxt = AllocSetContextCreate(flinfo->fn_mcxt, "gmm prepared model",
								ALLOCSET_SMALL_SIZES);
	e->key = MemoryContextAlloc(cxt, keysize);
	memcpy(e->key, key, keysize);
	e->lxid = lxid;
	e->prep = gmm_prepare(DatumGetGmmP(PointerGetDatum(key)), cxt);
	if (key != raw)
		pfree(key);
	slot->is_const = arg_is_const(fcinfo, argno);
	return e->prep;
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
 * of modest size go through the vectorised kernel of logpdf.c (several
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
