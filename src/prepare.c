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
#include "linalg.h"
#include "logpdf.h"

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

/* Squared Mahalanobis distance of x to component j; z is d doubles of scratch */
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
	return q;
}

/*
 * out[j] = log w_j + log N(x | mu_j, Sigma_j) for every component.  Models
 * of modest size go through the vectorised kernel of logpdf.c (several
 * components at once, from a per-model layout cached with the prepared
 * model); the rest here: full and tied, forward substitution against the
 * Cholesky factor fused with |z|^2; diag and spherical, one pass over the
 * dimensions.
 */
void
gmm_weighted_logpdfs(const GmmPrepared *p, const double *x, double *out)
{
	if (gmm_logpdfs_vec(p, x, out))
		return;
	for (int j = 0; j < p->k; j++)
		out[j] = p->log_norm[j] - 0.5 * gmm_mahalanobis_sq(p, j, x, p->work);
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
		return ll;
	gmm_weighted_logpdfs(p, x, lp);
	return gmm_logsumexp(lp, p->k);
}
