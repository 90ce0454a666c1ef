/*
 * kernel/missing_int.h
 *	  The insides of kernel/missing.c shared with kernel/missing_block.c:
 *	  the per-pattern factors and the cache that holds them.
 */
#ifndef GMM_KERNEL_MISSING_INT_H
#define GMM_KERNEL_MISSING_INT_H

#include "kernel/missing.h"

/* rows gathered per call of the complete-row E-step */
#define MISS_CHUNK			256
/* incomplete rows that wait for the grouped E-step, at most (fewer for large k, d) */
#define MISS_PEND_MAX		2048
#define MISS_PEND_DOUBLES	((Size) 1 << 20)
/* the most doubles kept for the whitened residuals of every component */
#define MISS_ZK_DOUBLES		((Size) 1 << 21)
/* patterns kept at most, and the bytes their factors may take */
#define MISS_MAX_PATTERNS	1024
#define MISS_MAX_BYTES		((Size) 64 * 1024 * 1024)
#define MISS_SLOTS			(2 * MISS_MAX_PATTERNS)
/* dimensions up to which patterns are also found by their bits, directly */
#define MISS_DIRECT_D		10

/* the factors of one missingness pattern (full and tied models) */
typedef struct MissPattern
{
	uint32		hash;
	uint64		bits;			/* d <= 64: bit i set when dimension i is observed */
	int			id;				/* creation order in the cache */
	uint64		batch;			/* last flush (GmmMissCache.batch) it was in */
	int			group;			/* its group in that flush */
	int			no;				/* observed dimensions */
	int			nm;				/* missing dimensions */
	int			bad;			/* 1-based component whose S_oo is not PD, or 0 */
	int			bad_minor;
	char	   *mask;			/* d bytes, 1 = observed */
	int		   *obs;			/* no dimensions, increasing */
	int		   *mis;			/* nm dimensions, increasing */
	double	   *log_norm;		/* k */
	double	   *L;				/* nmat x no x no */
	double	   *rdiag;			/* nmat x no: 1 / L_aa */
	double	   *Y;				/* nmat x no x nm */
	double	   *C;				/* nmat x nm x nm */
} MissPattern;

struct GmmMissCache
{
	const GmmPrepared *p;
	const Gmm  *m;
	int			k,
				d,
				cov_type;
	int			nmat;			/* factors per pattern: k (full), 1 (tied) */
	MemoryContext cxt;			/* the cache itself */
	MemoryContext pat_cxt;		/* the patterns, reset when the table is full */
	MissPattern **slots;		/* MISS_SLOTS, open addressing */
	MissPattern **direct;		/* full/tied, d <= MISS_DIRECT_D: the patterns
								 * by their bits (2^d), or NULL */
	int			n_patterns;
	Size		bytes;
	double	   *logvar;			/* diag/spherical: k x d log variances */
	double	   *var;			/* diag/spherical: k x d variances */
	char	   *mask;			/* d */
	uint64		bits;			/* mask as bits (the first 64 dimensions) */
	double	   *diff;			/* d */
	double	   *dxo;			/* d */
	double	   *z;				/* k x d */
	double	   *lp;				/* k */
	double	   *gx;				/* MISS_CHUNK x d: complete rows gathered */
	double	   *gw;				/* MISS_CHUNK */
	int			next_id;
	/* full/tied: incomplete rows waiting for the grouped E-step */
	int			n_pend;
	int			pend_cap;		/* rows that may wait (the stride of the b* buffers) */
	double	   *pend_x;			/* pend_cap x d: the waiting rows (copies) */
	double	   *pend_w;			/* pend_cap: their weights */
	int			ng;				/* complete rows gathered in gx */
	bool		gw_used;		/* ... some with a weight other than 1 */
	MissPattern **pend_pt;		/* pend_cap */
	uint64		batch;			/* flushes so far */
	MissPattern **grp_pt;		/* a flush's groups: pattern, */
	int		   *grp_start;		/* first row in grp_rows, */
	int		   *grp_rows;		/* and rows */
	double	   *bx;				/* d x pend_cap: a group's observed values, by dimension */
	double	   *bz;				/* d x pend_cap: whitened residuals */
	double	   *bzk;			/* k x d x pend_cap: those of every component, or NULL
								 * (too large: computed twice) */
	double	   *bd;				/* d x pend_cap: completed residuals, by dimension */
	double	   *bw;				/* pend_cap row weights */
	double	   *bg;				/* k x pend_cap: log-densities, then responsibilities */
};

/* kernel/missing.c */
extern bool gmm_miss_patterns_full(const GmmMissCache *c);
extern void gmm_miss_patterns_reset(GmmMissCache *c);
extern MissPattern *gmm_miss_pattern(GmmMissCache *c);

/*
 * kernel/missing_block.c: the E-step of the c->n_pend incomplete rows
 * waiting in c (full and tied models), grouped by pattern, into s
 */
extern void gmm_miss_flush_pending(GmmMissCache *c, GmmSuff *s);

#endif							/* GMM_KERNEL_MISSING_INT_H */
