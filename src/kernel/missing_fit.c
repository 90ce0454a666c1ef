/*
 * kernel/missing_fit.c
 *	  gmm_em_fit for rows held in memory that have missing values (NaN):
 *	  the EM driver of kernel/driver.c over the E-step of kernel/missing.c.
 *	  Initialisation (k-means and its kin) and the re-seeding of components
 *	  need complete rows: they see a copy of the rows in which each missing
 *	  value is replaced by the weighted mean of the observed values of its
 *	  dimension.  EM itself only ever sees the observed values.
 */
#include "postgres.h"

#include <math.h>

#include "utils/memutils.h"

#include "kernel/driver.h"
#include "kernel/missing.h"

/* rows per call of the E-step kernel (its row count is an int) */
#define MISS_FIT_CHUNK		(1 << 20)

/* The data source: the rows with NaN, and their mean-imputed copy */
typedef struct MissSource
{
	const GmmRows *rows;		/* with NaN */
	GmmRows		filled;			/* missing values replaced by column means */
	GmmMissCounts counts;		/* of the last E-step */
} MissSource;

/* The E-step over every row, by the marginal densities of the observed values */
static GmmSuff *
miss_estep(void *arg, const Gmm *m)
{
	MissSource *src = (MissSource *) arg;
	const GmmRows *rows = src->rows;
	GmmPrepared *p = gmm_prepare(m, CurrentMemoryContext);
	GmmMissCache *c = gmm_miss_cache_create(p, CurrentMemoryContext);
	GmmSuff    *s = gmm_suff_alloc(m->cov_type, m->k, m->d, p->means);

	memset(&src->counts, 0, sizeof(GmmMissCounts));
	for (int64 off = 0; off < rows->n; off += MISS_FIT_CHUNK)
	{
		int			cnt = (int) Min((int64) MISS_FIT_CHUNK, rows->n - off);

		gmm_estep_missing(c, rows->X + (Size) off * rows->d,
						  rows->w ? rows->w + off : NULL, cnt, s, &src->counts);
	}
	return s;
}

/* The rows for initialisation and re-seeding: the filled copy */
static const GmmRows *
miss_rows(void *arg)
{
	return &((MissSource *) arg)->filled;
}

/* A copy of rows with each NaN replaced by its dimension's weighted mean */
static void
fill_rows(const GmmRows *rows, GmmRows *out)
{
	int			d = rows->d;
	double	   *sum = palloc0(sizeof(double) * d);
	double	   *wsum = palloc0(sizeof(double) * d);
	double	   *X = MemoryContextAllocHuge(CurrentMemoryContext,
										   mul_size(mul_size(sizeof(double), d), rows->n));

	for (int64 r = 0; r < rows->n; r++)
	{
		const double *x = rows->X + (Size) r * d;
		double		w = gmm_row_weight(rows, r);

		for (int i = 0; i < d; i++)
			if (!isnan(x[i]))
				sum[i] += w * x[i], wsum[i] += w;
	}
	for (int i = 0; i < d; i++)
	{
		sum[i] = (wsum[i] > 0.0) ? sum[i] / wsum[i] : 0.0;
		if (sum[i] == 0.0)
			sum[i] = 0.0;		/* no -0.0 (rows are compared bitwise) */
	}
	for (int64 r = 0; r < rows->n; r++)
	{
		const double *x = rows->X + (Size) r * d;
		double	   *y = X + (Size) r * d;

		for (int i = 0; i < d; i++)
			y[i] = isnan(x[i]) ? sum[i] : x[i];
	}
	*out = *rows;
	out->X = X;
	pfree(sum);
	pfree(wsum);
}

/* Fit rows with missing values over the k range of opts */
Gmm *
gmm_em_fit_observed(const GmmRows *rows, const GmmFitOptions *opts,
					const char *caller, GmmMissCounts *cnt)
{
	MissSource	ms;
	GmmEmSource src = {miss_estep, miss_rows, &ms, "row", NULL};
	int			k_max;
	Gmm		   *m;

	memset(&ms, 0, sizeof(ms));
	ms.rows = rows;
	fill_rows(rows, &ms.filled);
	k_max = gmm_k_max_for_rows(&ms.filled, opts, caller, 0);
	m = gmm_em_drive(&src, NULL, opts, k_max, caller);
	cnt->rows_used = ms.counts.rows_used;
	cnt->values_missing = ms.counts.values_missing;
	return m;
}
