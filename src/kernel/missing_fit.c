/*
 * kernel/missing_fit.c
 *	  gmm_em_fit for rows with missing values (NaN) read from a row source
 *	  (kernel/rowsrc.h: in memory as float8 or float4, or spilled): the EM
 *	  driver of kernel/driver.c over the E-step of kernel/missing.c, run
 *	  block by block as the source's pluggable per-block E-step.
 *	  Initialisation (k-means and its kin) and the re-seeding of components
 *	  need complete rows: they read a second row source over the same rows
 *	  that replaces each missing value by the weighted mean of the observed
 *	  values of its dimension (computed in a first pass), a block at a time,
 *	  so no filled copy of the rows is held.  EM itself only ever sees the
 *	  observed values.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "kernel/driver.h"
#include "kernel/missing.h"
#include "kernel/rowsrc.h"

/* bytes of a filled block (at least GMM_SRC_BLOCK_ALIGN rows) */
#define FILL_BLOCK_BYTES	(1024 * 1024)

/* A row source that fills the missing values of another with column means */
typedef struct FillSource
{
	GmmRowSource pub;
	GmmRowSource *in;			/* the rows with NaN */
	double	   *mean;			/* d column means */
	double	   *buf;			/* block_rows x d */
	int			block_rows;
	GmmRowBlock cur;			/* block of "in" being cut */
	int			cur_pos;		/* next row of cur */
	bool		cur_valid;
} FillSource;

/* The data of the fit */
typedef struct MissFit
{
	GmmRowSource *rows;			/* with NaN */
	GmmRowSource *filled;
} MissFit;

static void
fill_row(const FillSource *fs, const double *x, double *y)
{
	for (int i = 0; i < fs->pub.d; i++)
		y[i] = isnan(x[i]) ? fs->mean[i] : x[i];
}

static void
fill_begin(GmmRowSource *src, int flags)
{
	FillSource *fs = (FillSource *) src->arg;

	fs->in->begin(fs->in, flags);
	fs->cur_valid = false;
}

/*
 * The next block: the next piece of the inner source's block (pieces are
 * multiples of GMM_SRC_BLOCK_ALIGN rows but for the last), filled
 */
static bool
fill_next(GmmRowSource *src, GmmRowBlock *b)
{
	FillSource *fs = (FillSource *) src->arg;
	int			d = src->d,
				cnt;

	if (!fs->cur_valid || fs->cur_pos >= fs->cur.n)
	{
		if (!fs->in->next(fs->in, &fs->cur))
		{
			fs->cur_valid = false;
			return false;
		}
		fs->cur_valid = true;
		fs->cur_pos = 0;
	}
	cnt = Min(fs->block_rows, fs->cur.n - fs->cur_pos);
	for (int r = 0; r < cnt; r++)
		fill_row(fs, fs->cur.X + (Size) (fs->cur_pos + r) * d,
				 fs->buf + (Size) r * d);
	b->X = fs->buf;
	b->w = fs->cur.w ? fs->cur.w + fs->cur_pos : NULL;
	b->first = fs->cur.first + fs->cur_pos;
	b->n = cnt;
	b->dist = fs->cur.dist ? fs->cur.dist + fs->cur_pos : NULL;
	b->label = fs->cur.label ? fs->cur.label + fs->cur_pos : NULL;
	fs->cur_pos += cnt;
	return true;
}

static void
fill_fetch(GmmRowSource *src, int64 r, double *x, double *w)
{
	FillSource *fs = (FillSource *) src->arg;

	fs->cur_valid = false;		/* the inner source ended its pass */
	fs->in->fetch(fs->in, r, x, w);
	fill_row(fs, x, x);
}

/*
 * The filled source over in: the weighted means of the observed values of
 * each dimension (0 for a dimension never observed), summed in row order
 * as the former filled copy was
 */
static GmmRowSource *
fill_source(GmmRowSource *in)
{
	FillSource *fs = palloc0(sizeof(FillSource));
	int			d = in->d;
	double	   *wsum = palloc0(sizeof(double) * d);
	GmmRowBlock b;
	Size		rows;

	fs->in = in;
	fs->mean = palloc0(sizeof(double) * d);
	in->begin(in, 0);
	while (in->next(in, &b))
	{
		CHECK_FOR_INTERRUPTS();
		for (int r = 0; r < b.n; r++)
		{
			const double *x = b.X + (Size) r * d;
			double		w = b.w ? b.w[r] : 1.0;

			for (int i = 0; i < d; i++)
				if (!isnan(x[i]))
					fs->mean[i] += w * x[i], wsum[i] += w;
		}
	}
	for (int i = 0; i < d; i++)
	{
		fs->mean[i] = (wsum[i] > 0.0) ? fs->mean[i] / wsum[i] : 0.0;
		if (fs->mean[i] == 0.0)
			fs->mean[i] = 0.0;	/* no -0.0 (rows are compared bitwise) */
	}
	pfree(wsum);
	rows = FILL_BLOCK_BYTES / (sizeof(double) * d);
	rows = rows / GMM_SRC_BLOCK_ALIGN * GMM_SRC_BLOCK_ALIGN;
	fs->block_rows = (int) Max(rows, (Size) GMM_SRC_BLOCK_ALIGN);
	fs->buf = palloc(mul_size(sizeof(double), mul_size(fs->block_rows, d)));
	fs->pub.n = in->n;
	fs->pub.d = d;
	fs->pub.weighted = in->weighted;
	fs->pub.sum_w = in->sum_w;
	fs->pub.begin = fill_begin;
	fs->pub.next = fill_next;
	fs->pub.fetch = fill_fetch;
	fs->pub.arg = fs;
	return &fs->pub;
}

/* The per-block E-step: the rows of a block, left pending across blocks */
static void
miss_block_estep(void *arg, const GmmPrepared *p, const double *X,
				 const double *w, int n, bool use_blocks, GmmSuff *s)
{
	(void) arg;
	(void) use_blocks;			/* gmm_estep_accum decides per gathered chunk */
	gmm_estep_missing_rows(gmm_miss_cache_of(p), X, w, n, s, NULL);
}

/* The E-step over every row, by the marginal densities of the observed values */
static GmmSuff *
miss_estep(void *arg, const Gmm *m)
{
	MissFit    *mf = (MissFit *) arg;
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	GmmSuff    *s = gmm_suff_alloc(m->cov_type, m->k, m->d, p->means);

	gmm_source_estep(mf->rows, p, miss_block_estep, NULL, s);
	gmm_estep_missing_end(gmm_miss_cache_of(p), s);
	return s;
}

/* The rows for initialisation and re-seeding: the filled source */
static GmmRowSource *
miss_filled(void *arg)
{
	return ((MissFit *) arg)->filled;
}

/* Fit rows with missing values over the k range of opts */
Gmm *
gmm_em_fit_observed(GmmRowSource *rows, const GmmFitOptions *opts,
					const char *caller)
{
	MissFit		mf;
	GmmEmSource src;
	int			k_max;

	mf.rows = rows;
	mf.filled = fill_source(rows);
	memset(&src, 0, sizeof(src));
	src.estep = miss_estep;
	src.arg = &mf;
	src.row_noun = "row";
	src.source = miss_filled;
	k_max = gmm_k_max_for_source(mf.filled, opts, caller, 0);
	return gmm_em_drive(&src, NULL, opts, k_max, caller);
}
