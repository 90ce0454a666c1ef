/*
 * stats_type.h
 *	  The gmm_stats type: EM sufficient statistics of a set of rows under one
 *	  model, the state of the gmm_em_step / gmm_stats_agg aggregates and the
 *	  unit of work that parallel workers, postgres_fdw shards and Citus
 *	  workers send back to be merged.
 *
 * A gmm_stats value is a varlena of a fixed header followed by
 *	 model		the model the statistics belong to, embedded whole (a gmm
 *				varlena of model_size bytes, a multiple of 8)
 *	 nk[k]		sum_i w_i g_ij
 *	 s1[k][d]	sum_i w_i g_ij (x_i - mu_j)
 *	 s2[k][s2n] sum_i w_i g_ij (x_i - mu_j)(x_i - mu_j)^T, packed as in kernel/suff.h
 *				(full/tied: lower triangle row by row; diag/spherical: the
 *				diagonal)
 *	 pending	room for rows not yet in the sums (aggregate states only,
 *				GMM_STATS_FLAG_PENDING): capacity x d values, capacity weights
 *	 observed	with GMM_STATS_FLAG_OBSERVED (statistics of "missing":
 *				"marginalize"), last: two int64 counts, the rows skipped
 *				because every value was missing and the missing values of
 *				the rows accumulated.  Values without the flag (all those
 *				written by 0.1.0) end before it, so they read as before.
 * where g_ij are the responsibilities under the embedded model and the
 * shift mu_j is that model's mean of component j (see kernel/suff.h).  Embedding the
 * model makes a gmm_stats value self-contained: the M-step needs the means
 * (the shift), the previous parameters of components that lost their mass,
 * and the model's iteration count, and merging needs to know that two
 * values belong to the same model.  The embedded model is canonical (no
 * -0.0, as after the gmm type's text input), so that statistics shipped as
 * text still match their model byte for byte.  "fingerprint" caches
 * gmm_fingerprint() of the embedded model so that compatibility checks are
 * cheap; it is never sent over the wire (text and binary input recompute
 * it).
 */
#ifndef GMM_STATS_TYPE_H
#define GMM_STATS_TYPE_H

#include "gmm.h"
#include "kernel/suff.h"
#include "kernel/missing.h"

#define GMM_STATS_FORMAT_VERSION	1

/*
 * rows a gmm_stats value counts at most: 2^53, the largest count the JSON
 * text form (numbers read as float8) carries exactly
 */
#define GMM_STATS_MAX_ROWS		(INT64CONST(1) << 53)

typedef struct GmmStats
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint8		version;		/* GMM_STATS_FORMAT_VERSION */
	uint8		cov_type;		/* GmmCovType, same as the model's */
	uint16		flags;			/* GMM_STATS_FLAG_*; 0 outside an aggregate */
	int32		k;				/* components, same as the model's */
	int32		d;				/* dimension, same as the model's */
	int32		model_size;		/* VARSIZE of the embedded model */
	int32		n_pending;		/* rows buffered, not yet in the sums */
	uint64		fingerprint;	/* gmm_fingerprint of the embedded model */
	int64		n_rows;			/* rows accumulated (weight > 0) */
	float8		sum_w;			/* sum of the row weights */
	float8		sum_ll;			/* sum of w_i log p(x_i) */
	float8		data[FLEXIBLE_ARRAY_MEMBER];
} GmmStats;

/* flags */
#define GMM_STATS_FLAG_PENDING	0x0001	/* room for pending rows follows */
#define GMM_STATS_FLAG_WEIGHTED 0x0002	/* a pending row has a weight != 1 */
#define GMM_STATS_FLAG_HOLES	0x0004	/* a pending row has missing values (NaN) */
#define GMM_STATS_FLAG_OBSERVED 0x0008	/* the observed-data counts end the value */

/* the observed-data counts: [0] rows skipped (all missing), [1] values missing */
#define GMM_STATS_OBS_BYTES(s)	(((s)->flags & GMM_STATS_FLAG_OBSERVED) ? 2 * sizeof(int64) : 0)
#define GMM_STATS_OBS(s)		((int64 *) ((char *) (s) + VARSIZE(s) - 2 * sizeof(int64)))

#define GMM_STATS_HEADER_SIZE	offsetof(GmmStats, data)
#define GMM_STATS_MODEL(s)		((Gmm *) (s)->data)
#define GMM_STATS_NK(s)			((double *) ((char *) (s)->data + (s)->model_size))
#define GMM_STATS_S1(s)			(GMM_STATS_NK(s) + (s)->k)
#define GMM_STATS_S2(s)			(GMM_STATS_S1(s) + (Size) (s)->k * (s)->d)

#define GMM_STATS_PENDING_X(s)	(GMM_STATS_S2(s) + (Size) (s)->k * gmm_s2_count((s)->cov_type, (s)->d))
#define GMM_STATS_PENDING_W(s)	(GMM_STATS_PENDING_X(s) + (Size) gmm_stats_capacity(s) * (s)->d)

#define DatumGetGmmStatsP(x)	((GmmStats *) PG_DETOAST_DATUM(x))
#define PG_GETARG_GMM_STATS_P(n) DatumGetGmmStatsP(PG_GETARG_DATUM(n))
#define PG_RETURN_GMM_STATS_P(x) PG_RETURN_POINTER(x)
/* argument n with any pending rows through the E-step (never modified) */
#define PG_GETARG_GMM_STATS_SETTLED(n) gmm_stats_settled(PG_GETARG_GMM_STATS_P(n))

/* stats_type.c */
extern Size gmm_stats_size(const Gmm *m);
extern uint64 gmm_stats_fingerprint(const Gmm *m);
extern GmmStats *gmm_stats_alloc(const Gmm *m, uint64 fingerprint);
extern GmmStats *gmm_stats_copy(const GmmStats *s);
extern void gmm_stats_view(GmmStats *s, GmmSuff *view);
extern Size gmm_stats_base_size(const GmmStats *s);
extern int	gmm_stats_capacity(const GmmStats *s);
extern GmmStats *gmm_stats_resize(const GmmStats *s, int capacity);
extern void gmm_stats_flush(GmmStats *dst, const GmmStats *src,
							const GmmPrepared *p);
extern void gmm_stats_settle(GmmStats *s);
extern GmmStats *gmm_stats_settled(GmmStats *s);
extern GmmStats *gmm_stats_merge_into(GmmStats *a, const GmmStats *b);
extern GmmStats *gmm_stats_make_observed(GmmStats *s);
extern void gmm_stats_add_observed(GmmStats *s, int64 rows_skipped,
								   int64 values_missing);
extern void gmm_stats_add_rows(GmmStats *s, int64 n);
extern void gmm_stats_check_range(const GmmStats *s);

/* stats_agg.c: "missing": "marginalize" for the current row (stats_missing.c) */
extern bool gmm_stats_accum_marginalize;

#endif							/* GMM_STATS_TYPE_H */
