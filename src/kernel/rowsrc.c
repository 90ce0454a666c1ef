/*
 * kernel/rowsrc.c
 *	  Row sources over rows held in memory (float8 or float4), and the
 *	  E-step over any row source through a pluggable per-block function
 *	  (see rowsrc.h).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "kernel/estep.h"
#include "kernel/rowsrc.h"
#include "kernel/vecmath.h"

/* rows per block of a float8 source (the rows are not copied) */
#define MEM_BLOCK_F8	(1 << 20)
/*
 * bytes of the float8 buffer of a float4 source, into which each block is
 * converted (at least GMM_SRC_BLOCK_ALIGN rows)
 */
#define MEM_BLOCK_F4_BYTES	(2 * 1024 * 1024)

StaticAssertDecl(MEM_BLOCK_F8 % GMM_SRC_BLOCK_ALIGN == 0, "aligned blocks");

typedef struct MemSource
{
	GmmRowSource pub;
	const double *X;
	const float *Xf;
	const double *w;
	MemoryContext cxt;			/* for the work values */
	double	   *dist;			/* n work values, once needed */
	int32	   *label;
	double	   *buf;			/* block_rows x d, for float4 rows */
	int			block_rows;		/* rows per block */
	int64		pos;			/* next row of the pass */
	int			flags;
} MemSource;

static void
mem_begin(GmmRowSource *src, int flags)
{
	MemSource  *ms = (MemSource *) src->arg;

	ms->pos = 0;
	ms->flags = flags;
	if ((flags & GMM_PASS_WORK) && ms->dist == NULL)
	{
		ms->dist = MemoryContextAllocHuge(ms->cxt, mul_size(sizeof(double), src->n));
		ms->label = MemoryContextAllocHuge(ms->cxt, mul_size(sizeof(int32), src->n));
	}
}

static bool
mem_next(GmmRowSource *src, GmmRowBlock *b)
{
	MemSource  *ms = (MemSource *) src->arg;
	int			d = src->d;
	int64		cnt;

	if (ms->pos >= src->n)
		return false;
	cnt = Min(src->n - ms->pos, (int64) ms->block_rows);
	b->first = ms->pos;
	b->n = (int) cnt;
	b->w = ms->w ? ms->w + ms->pos : NULL;
	if (ms->X)
		b->X = ms->X + (Size) ms->pos * d;
	else
	{
		const float *f = ms->Xf + (Size) ms->pos * d;

		for (Size i = 0; i < (Size) cnt * d; i++)
			ms->buf[i] = (double) f[i];
		b->X = ms->buf;
	}
	b->dist = (ms->flags & GMM_PASS_WORK) ? ms->dist + ms->pos : NULL;
	b->label = (ms->flags & GMM_PASS_WORK) ? ms->label + ms->pos : NULL;
	ms->pos += cnt;
	return true;
}

static void
mem_fetch(GmmRowSource *src, int64 r, double *x, double *w)
{
	MemSource  *ms = (MemSource *) src->arg;
	int			d = src->d;

	if (ms->X)
		memcpy(x, ms->X + (Size) r * d, sizeof(double) * d);
	else
		for (int i = 0; i < d; i++)
			x[i] = (double) ms->Xf[(Size) r * d + i];
	*w = ms->w ? ms->w[r] : 1.0;
}

/* A source over rows held in memory */
GmmRowSource *
gmm_memory_source(const double *X, const float *Xf, const double *w,
				  int64 n, int d, double sum_w)
{
	MemSource  *ms = palloc0(sizeof(MemSource));

	ms->X = X;
	ms->Xf = Xf;
	ms->w = w;
	ms->cxt = CurrentMemoryContext;
	ms->block_rows = MEM_BLOCK_F8;
	if (X == NULL)
	{
		Size		rows = MEM_BLOCK_F4_BYTES / (sizeof(double) * d);

		rows = rows / GMM_SRC_BLOCK_ALIGN * GMM_SRC_BLOCK_ALIGN;
		ms->block_rows = (int) Max(rows, (Size) GMM_SRC_BLOCK_ALIGN);
		ms->buf = palloc(mul_size(sizeof(double), mul_size(ms->block_rows, d)));
	}
	ms->pub.n = n;
	ms->pub.d = d;
	ms->pub.weighted = (w != NULL);
	ms->pub.sum_w = sum_w;
	ms->pub.begin = mem_begin;
	ms->pub.next = mem_next;
	ms->pub.fetch = mem_fetch;
	ms->pub.arg = ms;
	return &ms->pub;
}

/* A source over GmmRows */
GmmRowSource *
gmm_rows_source(const GmmRows *rows)
{
	return gmm_memory_source(rows->X, NULL, rows->w, rows->n, rows->d,
							 rows->sum_w);
}

/* The E-step of complete rows */
void
gmm_block_estep_complete(void *arg, const GmmPrepared *p, const double *X,
						 const double *w, int n, bool use_blocks, GmmSuff *s)
{
	(void) arg;
	if (use_blocks)
		gmm_estep_blocks(p, X, w, n, s);
	else
		gmm_estep_rows(p, X, w, n, s);
}

/*
 * The E-step over every row of src.  Whether the blocked kernels run is
 * decided for the whole source, as gmm_estep_accum decides it for one
 * call; the blocked kernels add each block of GMM_SRC_BLOCK_ALIGN rows in
 * order and the row path adds row by row, so any aligned cut of the rows
 * gives the same bits.
 */
void
gmm_source_estep(GmmRowSource *src, const GmmPrepared *p, GmmBlockEstepFn fn,
				 void *fn_arg, GmmSuff *s)
{
	bool		use_blocks = (src->n >= GMM_BLOCK_MIN_ROWS && gmm_fast_vectors());
	GmmRowBlock b;

	src->begin(src, 0);
	while (src->next(src, &b))
	{
		CHECK_FOR_INTERRUPTS();
		fn(fn_arg, p, b.X, b.w, b.n, use_blocks, s);
	}
}
