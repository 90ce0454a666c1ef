/*
 * fit_spill.h
 *	  Rows of a gmm_fit group spilled to a temporary file in blocks, read
 *	  back as a row source (kernel/rowsrc.h) with one block in memory.
 *
 * Usage (in the aggregate's transition, then its final function):
 *	   sp = gmm_spill_create(fcinfo, d, weighted, float4, budget);
 *	   x = gmm_spill_slot(sp, &w);	 -- room for the next row (d values of
 *	   ...							 -- the storage type) and its weight
 *	   src = gmm_spill_source(sp, sum_w);
 *
 * The file is a temporary file of fd.c: it goes to temp_tablespaces, counts
 * against temp_file_limit, and is removed when the group ends (the
 * aggregate's shutdown callback), or at error, cancel or backend exit (the
 * resource owner).
 */
#ifndef GMM_FIT_SPILL_H
#define GMM_FIT_SPILL_H

#include "fmgr.h"

#include "kernel/rowsrc.h"

typedef struct GmmSpill GmmSpill;

/*
 * A new, empty spill in CurrentMemoryContext for rows of dimension d stored
 * as float4 (or float8), with memory for blocks of rows within about
 * budget / 4 bytes
 */
extern GmmSpill *gmm_spill_create(FunctionCallInfo fcinfo, int d,
								  bool weighted, bool float4, Size budget);

/*
 * Room for one more row: returns where its d values go (float4 or float8)
 * and sets *w to where its weight goes (when weighted)
 */
extern void *gmm_spill_slot(GmmSpill *sp, double **w);

/* rows in the spill */
extern int64 gmm_spill_rows(const GmmSpill *sp);

/* the rows as a row source (sum_w: their total weight) */
extern GmmRowSource *gmm_spill_source(GmmSpill *sp, double sum_w);

#endif							/* GMM_FIT_SPILL_H */
