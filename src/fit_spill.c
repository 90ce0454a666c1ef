/*
 * fit_spill.c
 *	  gmm_fit's rows past gmm.fit_memory_limit: blocks of rows in a temporary
 *	  file, read back one block at a time as a row source (see fit_spill.h).
 *
 *	  Block b of the data file starts at b * block_bytes: the rows of the
 *	  block (block_rows x d values of the storage type, row-major), then
 *	  their weights when weighted.  Full blocks go to the file; the last,
 *	  partial block stays in the staging buffer and is read from there.
 *	  Per-row work values of initialisation (a distance and a label, 12
 *	  bytes a row) live in a second temporary file, created when first
 *	  needed, block b at b * block_rows * 12.  Blocks hold a multiple of
 *	  GMM_SRC_BLOCK_ALIGN rows, so the E-step gives the bits it gives on the
 *	  same rows in memory.
 *
 *	  The files are read and written with fd.c's FileRead and FileWrite, a
 *	  whole block per call: BufFile would move them 8 kB per system call.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "fit_spill.h"

/* most memory for one block of rows while reading */
#define SPILL_BLOCK_MAX_BYTES	(4 * 1024 * 1024)
/* bytes of work values per row: a float8 distance and an int32 label */
#define SPILL_WORK_BYTES		(sizeof(double) + sizeof(int32))

struct GmmSpill
{
	GmmRowSource src;
	MemoryContext cxt;			/* where the spill lives */
	File		file;			/* the rows; -1 once closed */
	File		work;			/* the work values, or -1 */
	int			d;
	bool		weighted;
	bool		f4;
	Size		esize;			/* bytes per stored value */
	int			block_rows;
	Size		xbytes;			/* bytes of the rows of a full block */
	Size		block_bytes;	/* bytes of a full block */
	int64		n;				/* rows, the staged ones included */
	int64		nfull;			/* full blocks in the file */

	/* the last, partial block */
	char	   *stage;
	double	   *stage_w;
	int			nstage;

	/* one block being read */
	double	   *X;				/* block_rows x d, float8 */
	float	   *raw;			/* block_rows x d, float4 rows as read */
	double	   *w;
	double	   *dist;
	int32	   *label;
	int64		pos;			/* next row of the pass */
	int			flags;			/* of the pass */
	int64		dirty_first;	/* block whose work values to write, or -1 */
	int			dirty_n;
};

/* The shutdown callback of the aggregate: close the files */
static void
spill_shutdown(Datum arg)
{
	GmmSpill   *sp = (GmmSpill *) DatumGetPointer(arg);

	if (sp->file >= 0)
		FileClose(sp->file);
	if (sp->work >= 0)
		FileClose(sp->work);
	sp->file = sp->work = -1;
}

/* Write or read len bytes at off, erroring on failure */
static void
spill_io(File f, bool write, void *buf, Size len, off_t off)
{
	int			r;

	errno = 0;
	if (write)
		r = FileWrite(f, buf, (int) len, off, WAIT_EVENT_BUFFILE_WRITE);
	else
		r = FileRead(f, buf, (int) len, off, WAIT_EVENT_BUFFILE_READ);
	if (r != (int) len)
	{
		if (r >= 0 && errno == 0)
			errno = write ? ENOSPC : EIO;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not %s gmm_fit spill file \"%s\": %m",
						write ? "write" : "read", FilePathName(f))));
	}
}

/* A new, empty spill */
GmmSpill *
gmm_spill_create(FunctionCallInfo fcinfo, int d, bool weighted, bool float4,
				 Size budget)
{
	GmmSpill   *sp = palloc0(sizeof(GmmSpill));
	Size		esize = float4 ? sizeof(float) : sizeof(double);
	Size		per_row;
	Size		rows;

	sp->cxt = CurrentMemoryContext;
	sp->d = d;
	sp->weighted = weighted;
	sp->f4 = float4;
	sp->esize = esize;
	/* per row: staged, read, converted, weights, work values */
	per_row = (Size) d * esize * (float4 ? 2 : 1) + (Size) d * sizeof(double) +
		(weighted ? 2 * sizeof(double) : 0) + SPILL_WORK_BYTES;
	rows = Min(budget / 4, (Size) SPILL_BLOCK_MAX_BYTES) / per_row;
	rows = rows / GMM_SRC_BLOCK_ALIGN * GMM_SRC_BLOCK_ALIGN;
	sp->block_rows = (int) Max(rows, (Size) GMM_SRC_BLOCK_ALIGN);
	sp->xbytes = (Size) sp->block_rows * d * esize;
	sp->block_bytes = sp->xbytes + (weighted ? sizeof(double) * sp->block_rows : 0);
	sp->stage = palloc(sp->xbytes);
	sp->stage_w = weighted ? palloc(sizeof(double) * sp->block_rows) : NULL;
	sp->work = -1;
	sp->dirty_first = -1;

	sp->file = OpenTemporaryFile(false);
	if (fcinfo->context && IsA(fcinfo->context, AggState))
		AggRegisterCallback(fcinfo, spill_shutdown, PointerGetDatum(sp));
	return sp;
}

/* Write the full staging block to the file */
static void
spill_flush_stage(GmmSpill *sp)
{
	off_t		off = (off_t) sp->nfull * sp->block_bytes;

	spill_io(sp->file, true, sp->stage, sp->xbytes, off);
	if (sp->weighted)
		spill_io(sp->file, true, sp->stage_w, sizeof(double) * sp->block_rows,
				 off + sp->xbytes);
	sp->nfull++;
	sp->nstage = 0;
}

/* Room for one more row */
void *
gmm_spill_slot(GmmSpill *sp, double **w)
{
	void	   *slot;

	if (sp->nstage == sp->block_rows)
		spill_flush_stage(sp);
	slot = sp->stage + (Size) sp->nstage * sp->d * sp->esize;
	if (w)
		*w = sp->weighted ? sp->stage_w + sp->nstage : NULL;
	sp->nstage++;
	sp->n++;
	return slot;
}

int64
gmm_spill_rows(const GmmSpill *sp)
{
	return sp->n;
}

/* Stored values to float8 */
static void
spill_to_float8(const GmmSpill *sp, const void *in, double *out, Size count)
{
	if (sp->f4)
		for (Size i = 0; i < count; i++)
			out[i] = (double) ((const float *) in)[i];
	else
		memcpy(out, in, sizeof(double) * count);
}

/* Write back the work values of the block last read by a writing pass */
static void
spill_flush_work(GmmSpill *sp)
{
	off_t		off;

	if (sp->dirty_first < 0)
		return;
	off = (off_t) sp->dirty_first * SPILL_WORK_BYTES;
	spill_io(sp->work, true, sp->dist, sizeof(double) * sp->dirty_n, off);
	spill_io(sp->work, true, sp->label, sizeof(int32) * sp->dirty_n,
			 off + sizeof(double) * sp->dirty_n);
	sp->dirty_first = -1;
}

static void
spill_begin(GmmRowSource *src, int flags)
{
	GmmSpill   *sp = (GmmSpill *) src->arg;

	if (sp->file < 0)
		elog(ERROR, "gmm_fit spill file read after it was closed");
	spill_flush_work(sp);
	if ((flags & GMM_PASS_WORK) && sp->work < 0)
		sp->work = OpenTemporaryFile(false);
	sp->pos = 0;
	sp->flags = flags;
}

static bool
spill_next(GmmRowSource *src, GmmRowBlock *b)
{
	GmmSpill   *sp = (GmmSpill *) src->arg;
	int64		blk = sp->pos / sp->block_rows;
	int			d = sp->d;
	int			nb;

	spill_flush_work(sp);
	if (sp->pos >= sp->n)
		return false;
	nb = (int) Min((int64) sp->block_rows, sp->n - sp->pos);
	if (blk < sp->nfull)
	{
		off_t		off = (off_t) blk * sp->block_bytes;

		spill_io(sp->file, false, sp->f4 ? (void *) sp->raw : (void *) sp->X,
				 sp->xbytes, off);
		if (sp->f4)
			spill_to_float8(sp, sp->raw, sp->X, (Size) nb * d);
		if (sp->weighted)
			spill_io(sp->file, false, sp->w, sizeof(double) * nb, off + sp->xbytes);
	}
	else
	{
		spill_to_float8(sp, sp->stage, sp->X, (Size) nb * d);
		if (sp->weighted)
			memcpy(sp->w, sp->stage_w, sizeof(double) * nb);
	}
	b->X = sp->X;
	b->w = sp->weighted ? sp->w : NULL;
	b->first = sp->pos;
	b->n = nb;
	b->dist = NULL;
	b->label = NULL;
	if (sp->flags & GMM_PASS_WORK)
	{
		off_t		off = (off_t) sp->pos * SPILL_WORK_BYTES;

		/* values never written read as zeros */
		if (FileSize(sp->work) >= off + (off_t) (SPILL_WORK_BYTES * nb))
		{
			spill_io(sp->work, false, sp->dist, sizeof(double) * nb, off);
			spill_io(sp->work, false, sp->label, sizeof(int32) * nb,
					 off + sizeof(double) * nb);
		}
		else
		{
			memset(sp->dist, 0, sizeof(double) * nb);
			memset(sp->label, 0, sizeof(int32) * nb);
		}
		b->dist = sp->dist;
		b->label = sp->label;
		if (sp->flags & GMM_PASS_WRITE)
			sp->dirty_first = sp->pos, sp->dirty_n = nb;
	}
	sp->pos += nb;
	return true;
}

static void
spill_fetch(GmmRowSource *src, int64 r, double *x, double *w)
{
	GmmSpill   *sp = (GmmSpill *) src->arg;
	int64		blk = r / sp->block_rows;
	int			i = (int) (r % sp->block_rows);
	Size		rowbytes = (Size) sp->d * sp->esize;
	char	   *tmp = palloc(rowbytes);

	spill_flush_work(sp);
	sp->pos = sp->n;			/* ends the pass */
	*w = 1.0;
	if (blk < sp->nfull)
	{
		off_t		off = (off_t) blk * sp->block_bytes;

		spill_io(sp->file, false, tmp, rowbytes, off + (off_t) i * rowbytes);
		if (sp->weighted)
			spill_io(sp->file, false, w, sizeof(double),
					 off + sp->xbytes + (off_t) i * sizeof(double));
	}
	else
	{
		memcpy(tmp, sp->stage + (Size) i * rowbytes, rowbytes);
		if (sp->weighted)
			*w = sp->stage_w[i];
	}
	spill_to_float8(sp, tmp, x, sp->d);
	pfree(tmp);
}

/* The rows as a row source */
GmmRowSource *
gmm_spill_source(GmmSpill *sp, double sum_w)
{
	Size		br = sp->block_rows;

	if (sp->X == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(sp->cxt);

		sp->X = palloc(mul_size(sizeof(double), br * sp->d));
		if (sp->f4)
			sp->raw = palloc(mul_size(sizeof(float), br * sp->d));
		if (sp->weighted)
			sp->w = palloc(sizeof(double) * br);
		sp->dist = palloc(sizeof(double) * br);
		sp->label = palloc(sizeof(int32) * br);
		MemoryContextSwitchTo(old);
	}
	sp->src.n = sp->n;
	sp->src.d = sp->d;
	sp->src.weighted = sp->weighted;
	sp->src.sum_w = sum_w;
	sp->src.begin = spill_begin;
	sp->src.next = spill_next;
	sp->src.fetch = spill_fetch;
	sp->src.arg = sp;
	return &sp->src;
}
