/*
 * score_cache.c
 *	  The per-query cache of prepared models (kernel/logpdf.h) in fn_extra,
 *	  behind every function that scores points against a model argument.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "storage/proc.h"
#include "utils/memutils.h"

#include "score_cache.h"

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

