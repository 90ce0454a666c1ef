/*
 * kernel/rowsrc.h
 *	  Row sources: the rows of a fit read as a sequence of blocks, so that
 *	  initialisation and EM run the same way over rows held in memory (as
 *	  float8 or float4) and over rows spilled to a temporary file
 *	  (fit_spill.c).  A pass over a source yields blocks of float8 rows in
 *	  row order with their global row number; a block may carry per-row work
 *	  values (a distance and a label) that the source keeps between passes,
 *	  in memory or in a file of its own.  Every computation over a source
 *	  runs its sums in row order, so the result does not depend on how the
 *	  rows are cut into blocks; the E-step's blocks (estep_blocks.c) add up in
 *	  block order, so sources cut their blocks at multiples of
 *	  GMM_SRC_BLOCK_ALIGN rows.
 */
#ifndef GMM_ROWSRC_H
#define GMM_ROWSRC_H

#include "kernel/init.h"
#include "kernel/logpdf.h"
#include "kernel/suff.h"

/* block boundaries are multiples of this many rows (the E-step's block) */
#define GMM_SRC_BLOCK_ALIGN	256

/* flags of a pass */
#define GMM_PASS_WORK		0x01	/* the blocks carry per-row work values */
#define GMM_PASS_WRITE		0x02	/* ... which the pass changes: keep them */

/* one block of a pass */
typedef struct GmmRowBlock
{
	const double *X;			/* n x d, row-major float8 */
	const double *w;			/* n weights, or NULL for all 1 */
	int64		first;			/* global number of the first row */
	int			n;
	double	   *dist;			/* n work values (GMM_PASS_WORK), else NULL */
	int32	   *label;			/* n work labels (GMM_PASS_WORK), else NULL */
} GmmRowBlock;

typedef struct GmmRowSource GmmRowSource;

struct GmmRowSource
{
	int64		n;				/* rows */
	int			d;
	bool		weighted;		/* rows carry weights */
	double		sum_w;			/* total weight (n when not weighted) */

	/* start a pass (ends any pass under way, keeping its work values) */
	void		(*begin) (GmmRowSource *src, int flags);
	/* the next block of the pass into *b; false at the end */
	bool		(*next) (GmmRowSource *src, GmmRowBlock *b);
	/* row r into x (d values), its weight into *w; ends any pass */
	void		(*fetch) (GmmRowSource *src, int64 r, double *x, double *w);
	void	   *arg;			/* the source's own state */
};

/*
 * A source over rows held in memory: X (n x d float8) or Xf (n x d float4,
 * when X is NULL), optional weights; allocated in CurrentMemoryContext,
 * whose work values are allocated there at the first pass that needs them.
 */
extern GmmRowSource *gmm_memory_source(const double *X, const float *Xf,
									   const double *w, int64 n, int d,
									   double sum_w);

/* the same over GmmRows */
extern GmmRowSource *gmm_rows_source(const GmmRows *rows);

/*
 * Per-block E-step: adds the statistics of n rows to s (see estep.h);
 * use_blocks says whether the blocked kernels are used, decided once for
 * the whole source so that every cut of the rows gives the same bits
 */
typedef void (*GmmBlockEstepFn) (void *arg, const GmmPrepared *p,
								 const double *X, const double *w, int n,
								 bool use_blocks, GmmSuff *s);

/* the E-step of complete rows: gmm_estep_blocks or gmm_estep_rows */
extern void gmm_block_estep_complete(void *arg, const GmmPrepared *p,
									 const double *X, const double *w, int n,
									 bool use_blocks, GmmSuff *s);

/*
 * The E-step over every row of src under p, adding to s through fn (with
 * fn_arg), in row order
 */
extern void gmm_source_estep(GmmRowSource *src, const GmmPrepared *p,
							 GmmBlockEstepFn fn, void *fn_arg, GmmSuff *s);

/* initialisation and the k range over a source (see init.h) */
extern Gmm *gmm_init_model_src(GmmRowSource *src, int k,
							   const GmmFitOptions *opts, pg_prng_state *rng);
extern int	gmm_k_max_for_source(GmmRowSource *src, const GmmFitOptions *opts,
								 const char *caller, int64 sample_of);

#endif							/* GMM_ROWSRC_H */
