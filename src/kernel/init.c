/*
 * kernel/init.c
 *	  Initial models for EM: greedy weighted k-means++ seeding, Lloyd's
 *	  k-means, random distinct rows, given means, and the parameters of a
 *	  hard assignment of the rows (see init.h).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "kernel/init.h"
#include "kernel/rowsrc.h"

/* working memory per row during the fit (k-means++ distances, labels) */
#define FIT_WORK_BYTES_PER_ROW	(sizeof(double) + sizeof(int32))

#define LLOYD_DEFAULT_MAX_ITER	300
#define LLOYD_TOL				1e-4
#define RANDOM_MAX_REJECTS		32

/*
 * n elements of type t in CurrentMemoryContext as a huge allocation: work
 * arrays with one element per row may exceed 1 GB when gmm.fit_memory_limit
 * allows it
 */
#define palloc_huge_array(t, n) \
	((t *) MemoryContextAllocHuge(CurrentMemoryContext, mul_size(sizeof(t), (Size) (n))))

/* squared Euclidean distance */
static inline double
sqdist(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int i = 0; i < d; i++)
	{
		double		t = a[i] - b[i];

		s += t * t;
	}
	return s;
}

/* Index of the centre nearest to x (the first on ties); its squared distance into *dist */
static inline int
nearest_center(const double *x, const double *centers, int k, int d, double *dist)
{
	double		best = INFINITY;
	int			bj = 0;

	for (int j = 0; j < k; j++)
	{
		double		t = sqdist(x, centers + (Size) j * d, d);

		if (t < best)
			best = t, bj = j;
	}
	*dist = best;
	return bj;
}

/* Does row x equal (bitwise) one of the first m centres? */
static bool
is_center(const double *x, const double *centers, int m, int d)
{
	for (int j = 0; j < m; j++)
		if (memcmp(x, centers + (Size) j * d, sizeof(double) * d) == 0)
			return true;
	return false;
}

/* weight of row i of a block */
static inline double
block_weight(const GmmRowBlock *b, int i)
{
	return b->w ? b->w[i] : 1.0;
}

/*
 * Number of distinct rows (bitwise), counting no further than limit: the
 * distinct rows found are kept in a hash table of at most limit rows
 */
static int64
count_distinct_src(GmmRowSource *src, int64 limit)
{
	int			d = src->d;
	int64		cap = 16,
				count = 0;
	int64	   *slots;
	double	   *kept;
	Size		rowbytes = sizeof(double) * d;
	GmmRowBlock b;

	while (cap < 2 * limit)
		cap *= 2;
	slots = palloc_huge_array(int64, cap);
	kept = MemoryContextAllocHuge(CurrentMemoryContext,
								  mul_size(rowbytes, (Size) Max(limit, 1)));
	for (int64 i = 0; i < cap; i++)
		slots[i] = -1;
	src->begin(src, 0);
	while (count < limit && src->next(src, &b))
	{
		for (int i = 0; i < b.n && count < limit; i++)
		{
			const double *x = b.X + (Size) i * d;
			uint64		h = hash_bytes_extended((const unsigned char *) x, rowbytes, 0);
			int64		s = (int64) (h & (uint64) (cap - 1));

			if ((i & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			for (;;)
			{
				if (slots[s] < 0)
				{
					memcpy(kept + (Size) count * d, x, rowbytes);
					slots[s] = count++;
					break;
				}
				if (memcmp(kept + (Size) slots[s] * d, x, rowbytes) == 0)
					break;
				s = (s + 1) & (cap - 1);
			}
		}
	}
	pfree(slots);
	pfree(kept);
	return count;
}

/* Number of distinct rows (bitwise), counting no further than limit */
int64
gmm_count_distinct_rows(const GmmRows *rows, int64 limit)
{
	return count_distinct_src(gmm_rows_source(rows), limit);
}

/* A row drawn with probability proportional to weight */
static int64
draw_weighted_row(GmmRowSource *src, pg_prng_state *rng)
{
	double		u,
				cum = 0.0;
	GmmRowBlock b;

	u = pg_prng_double(rng) * src->sum_w;
	if (!src->weighted)			/* the same draw as for unit weights */
		return Min((int64) u, src->n - 1);
	src->begin(src, 0);
	while (src->next(src, &b))
		for (int i = 0; i < b.n; i++)
		{
			cum += b.w[i];
			if (cum > u)
				return b.first + i;
		}
	return src->n - 1;
}

/*
 * A row drawn with probability proportional to w * score (the work values);
 * -1 if all are 0
 */
static int64
draw_scored_row(GmmRowSource *src, double total, pg_prng_state *rng)
{
	double		u = pg_prng_double(rng) * total,
				cum = 0.0;
	int64		last = -1;
	GmmRowBlock b;

	src->begin(src, GMM_PASS_WORK);
	while (src->next(src, &b))
		for (int i = 0; i < b.n; i++)
		{
			double		c = block_weight(&b, i) * b.dist[i];

			if (c > 0.0)
			{
				last = b.first + i;
				cum += c;
				if (cum > u)
					return last;
			}
		}
	return last;				/* rounding left cum just below u */
}

/*
 * The first row from a random start that is not among the first m centres
 * (rows start .. n-1, then 0 .. start-1), read a block at a time
 */
static int64
scan_new_row(GmmRowSource *src, const double *centers, int m,
			 pg_prng_state *rng)
{
	int64		start = (int64) pg_prng_uint64_range(rng, 0, src->n - 1);
	GmmRowBlock b;

	for (int wrap = 0; wrap < 2; wrap++)
	{
		src->begin(src, 0);
		while (src->next(src, &b))
		{
			CHECK_FOR_INTERRUPTS();
			for (int i = 0; i < b.n; i++)
			{
				int64		r = b.first + i;

				if ((wrap == 0) != (r >= start))
					continue;
				if (!is_center(b.X + (Size) i * src->d, centers, m, src->d))
					return r;
			}
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("fewer distinct rows than %d components", m + 1)));
	return -1;
}

/* row r of the source into x */
static void
fetch_row(GmmRowSource *src, int64 r, double *x)
{
	double		w;

	src->fetch(src, r, x, &w);
}

/*
 * Greedy k-means++ seeding (each new centre is the best of 2 + ln k
 * candidates drawn with probability proportional to weight times squared
 * distance): k distinct rows into centers (k x d).  Needs k distinct rows.
 * The squared distance of each row to its nearest centre is a work value.
 */
static void
gmm_kmeanspp(GmmRowSource *src, int k, pg_prng_state *rng, double *centers)
{
	int			d = src->d;
	int			trials = 2 + (int) log((double) k);
	double		pot = 0.0;
	int64		first = draw_weighted_row(src, rng);
	double	   *xc = palloc(sizeof(double) * d);
	GmmRowBlock b;

	fetch_row(src, first, centers);
	src->begin(src, GMM_PASS_WORK | GMM_PASS_WRITE);
	while (src->next(src, &b))
		for (int i = 0; i < b.n; i++)
		{
			if ((i & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			b.dist[i] = sqdist(b.X + (Size) i * d, centers, d);
			pot += block_weight(&b, i) * b.dist[i];
		}

	for (int c = 1; c < k; c++)
	{
		int64		best = -1;
		double		best_pot = INFINITY;
		const double *cc = centers + (Size) c * d;

		if (pot > 0.0)
		{
			for (int t = 0; t < trials; t++)
			{
				int64		cand = draw_scored_row(src, pot, rng);
				double		cpot = 0.0;

				if (cand < 0)
					break;
				fetch_row(src, cand, xc);
				src->begin(src, GMM_PASS_WORK);
				while (src->next(src, &b))
					for (int i = 0; i < b.n; i++)
					{
						if ((i & 1023) == 1023)
							CHECK_FOR_INTERRUPTS();
						cpot += block_weight(&b, i) *
							Min(b.dist[i], sqdist(b.X + (Size) i * d, xc, d));
					}
				if (cpot < best_pot)
					best_pot = cpot, best = cand;
			}
		}
		/* all remaining mass is on the centres (or underflowed): any new row */
		if (best < 0)
			best = scan_new_row(src, centers, c, rng);

		fetch_row(src, best, centers + (Size) c * d);
		pot = 0.0;
		src->begin(src, GMM_PASS_WORK | GMM_PASS_WRITE);
		while (src->next(src, &b))
			for (int i = 0; i < b.n; i++)
			{
				double		t = sqdist(b.X + (Size) i * d, cc, d);

				if ((i & 1023) == 1023)
					CHECK_FOR_INTERRUPTS();
				if (t < b.dist[i])
					b.dist[i] = t;
				pot += block_weight(&b, i) * b.dist[i];
			}
	}
	pfree(xc);
}

/* k distinct rows drawn with probability proportional to weight */
static void
gmm_random_rows(GmmRowSource *src, int k, pg_prng_state *rng,
				double *centers)
{
	int			d = src->d;
	double	   *x = palloc(sizeof(double) * d);

	for (int c = 0; c < k; c++)
	{
		int64		r = -1;

		for (int t = 0; t < RANDOM_MAX_REJECTS; t++)
		{
			int64		cand = draw_weighted_row(src, rng);

			fetch_row(src, cand, x);
			if (!is_center(x, centers, c, d))
			{
				r = cand;
				break;
			}
		}
		if (r < 0)
			r = scan_new_row(src, centers, c, rng);
		fetch_row(src, r, centers + (Size) c * d);
	}
	pfree(x);
}

/* nearest centre of every row into its work label; returns the weighted inertia */
static double
gmm_assign_labels(GmmRowSource *src, int k, const double *centers)
{
	int			d = src->d;
	double		inertia = 0.0;
	GmmRowBlock b;

	src->begin(src, GMM_PASS_WORK | GMM_PASS_WRITE);
	while (src->next(src, &b))
		for (int i = 0; i < b.n; i++)
		{
			double		best;

			if ((i & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			b.label[i] = nearest_center(b.X + (Size) i * d, centers, k, d, &best);
			inertia += block_weight(&b, i) * best;
		}
	return inertia;
}

/* Weighted mean of the per-dimension variances of all rows */
static double
mean_variance(GmmRowSource *src)
{
	int			d = src->d;
	double	   *mu = palloc0(sizeof(double) * d);
	double		v = 0.0;
	GmmRowBlock b;

	src->begin(src, 0);
	while (src->next(src, &b))
		for (int i = 0; i < b.n; i++)
		{
			const double *x = b.X + (Size) i * d;
			double		w = block_weight(&b, i);

			for (int t = 0; t < d; t++)
				mu[t] += w * x[t];
		}
	for (int t = 0; t < d; t++)
		mu[t] /= src->sum_w;
	src->begin(src, 0);
	while (src->next(src, &b))
		for (int i = 0; i < b.n; i++)
		{
			if ((i & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			v += block_weight(&b, i) * sqdist(b.X + (Size) i * d, mu, d);
		}
	pfree(mu);
	return v / src->sum_w / d;
}

/*
 * Labels set by hand during one Lloyd iteration (an empty cluster moved to
 * a row): at most k, the last one for a row wins
 */
typedef struct LabelMoves
{
	int			n;
	int64	   *row;
	int32	   *label;
} LabelMoves;

/* the label of row r: moved during this iteration, or stored */
static inline int32
moved_label(const LabelMoves *mv, int64 r, int32 stored)
{
	for (int t = mv->n - 1; t >= 0; t--)
		if (mv->row[t] == r)
			return mv->label[t];
	return stored;
}

/*
 * Lloyd's k-means from centers (updated in place) until the labels stop
 * changing, the centres move less than 1e-4 times the mean variance of the
 * data, or max_iter iterations; an empty cluster is moved to the row
 * farthest from its centre.  Leaves the final labels as work labels;
 * returns the iterations run.
 */
static int
gmm_kmeans_lloyd(GmmRowSource *src, int k, double *centers, int max_iter)
{
	int			d = src->d;
	double	   *sum = palloc(sizeof(double) * k * d);
	double	   *mass = palloc(sizeof(double) * k);
	double		tol = LLOYD_TOL * mean_variance(src);
	LabelMoves	mv;
	GmmRowBlock b;
	int			iter;

	mv.row = palloc(sizeof(int64) * k);
	mv.label = palloc(sizeof(int32) * k);
	if (max_iter <= 0)
		max_iter = LLOYD_DEFAULT_MAX_ITER;
	gmm_assign_labels(src, k, centers);
	for (iter = 1; iter <= max_iter; iter++)
	{
		double		shift = 0.0;
		int64		changed = 0;

		memset(sum, 0, sizeof(double) * k * d);
		memset(mass, 0, sizeof(double) * k);
		mv.n = 0;
		src->begin(src, GMM_PASS_WORK);
		while (src->next(src, &b))
			for (int i = 0; i < b.n; i++)
			{
				const double *x = b.X + (Size) i * d;
				double		w = block_weight(&b, i);
				double	   *s = sum + (Size) b.label[i] * d;

				if ((i & 1023) == 1023)
					CHECK_FOR_INTERRUPTS();

				mass[b.label[i]] += w;
				for (int t = 0; t < d; t++)
					s[t] += w * x[t];
			}
		for (int j = 0; j < k; j++)
		{
			double	   *c = centers + (Size) j * d;

			if (mass[j] > 0.0)
			{
				for (int i = 0; i < d; i++)
				{
					double		nc = sum[(Size) j * d + i] / mass[j];

					shift += (nc - c[i]) * (nc - c[i]);
					c[i] = nc;
				}
			}
			else
			{
				/* empty cluster: move it to the row farthest from its centre */
				int64		far = 0;
				double		fd = -1.0;
				double	   *xf = palloc(sizeof(double) * d);

				src->begin(src, GMM_PASS_WORK);
				while (src->next(src, &b))
					for (int i = 0; i < b.n; i++)
					{
						int32		lab = moved_label(&mv, b.first + i, b.label[i]);
						double		t = sqdist(b.X + (Size) i * d, centers + (Size) lab * d, d);

						if ((i & 1023) == 1023)
							CHECK_FOR_INTERRUPTS();

						if (t > fd)
							fd = t, far = b.first + i;
					}
				fetch_row(src, far, xf);
				shift += sqdist(xf, c, d);
				memcpy(c, xf, sizeof(double) * d);
				mv.row[mv.n] = far;
				mv.label[mv.n++] = j;
				pfree(xf);
			}
		}

		/* reassign */
		src->begin(src, GMM_PASS_WORK | GMM_PASS_WRITE);
		while (src->next(src, &b))
			for (int i = 0; i < b.n; i++)
			{
				double		best;
				int			bj;

				if ((i & 1023) == 1023)
					CHECK_FOR_INTERRUPTS();
				bj = nearest_center(b.X + (Size) i * d, centers, k, d, &best);
				if (moved_label(&mv, b.first + i, b.label[i]) != bj)
					changed++;
				b.label[i] = bj;
			}
		if (changed == 0 || shift <= tol)
			break;
	}
	pfree(sum);
	pfree(mass);
	pfree(mv.row);
	pfree(mv.label);
	return Min(iter, max_iter);
}

/*
 * The model of a hard assignment (the work labels): weights from the
 * cluster masses, means (the cluster means, or "centers" when not NULL),
 * covariances about the means plus reg_covar on the diagonal.  An empty
 * cluster gets the mass of one average row and the covariance of all the
 * rows.  Not validated: a covariance may be singular when reg_covar is 0.
 */
static Gmm *
gmm_model_from_labels(GmmRowSource *src, int k, int cov_type,
					  const double *centers, double reg_covar)
{
	int			d = src->d;
	Gmm		   *m = gmm_alloc(cov_type, k, d);
	double	   *wt = GMM_WEIGHTS(m);
	double	   *mu = GMM_MEANS(m);
	double	   *cov = GMM_COVS(m);
	bool		matrix = (cov_type == GMM_COV_FULL || cov_type == GMM_COV_TIED);
	Size		per = matrix ? (Size) d * d : (Size) d;
	int			nscat = (cov_type == GMM_COV_TIED) ? 1 : k;
	double	   *scat = palloc0(mul_size(sizeof(double), mul_size(k + 1, per)));
	double	   *all = scat + (Size) k * per;	/* scatter of all rows */
	double	   *gmu = palloc0(sizeof(double) * d);
	double	   *diff = palloc(sizeof(double) * d);
	double		avg_row = src->sum_w / src->n,
				total = 0.0;
	GmmRowBlock b;

	/* masses and means */
	src->begin(src, GMM_PASS_WORK);
	while (src->next(src, &b))
		for (int r = 0; r < b.n; r++)
		{
			const double *x = b.X + (Size) r * d;
			double		w = block_weight(&b, r);
			int32		lab = b.label[r];

			wt[lab] += w;
			for (int i = 0; i < d; i++)
			{
				mu[(Size) lab * d + i] += w * x[i];
				gmu[i] += w * x[i];
			}
		}
	for (int i = 0; i < d; i++)
		gmu[i] /= src->sum_w;
	for (int j = 0; j < k; j++)
		for (int i = 0; i < d; i++)
		{
			double	   *v = &mu[(Size) j * d + i];

			if (centers)
				*v = centers[(Size) j * d + i];
			else
				*v = wt[j] > 0.0 ? *v / wt[j] : gmu[i];
		}

	/* centred scatter per cluster (or pooled) and of all rows */
	src->begin(src, GMM_PASS_WORK);
	while (src->next(src, &b))
		for (int r = 0; r < b.n; r++)
		{
			const double *x = b.X + (Size) r * d;
			double		w = block_weight(&b, r);
			int			j = b.label[r];

			if ((r & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			for (int pass = 0; pass < 2; pass++)
			{
				const double *c = pass == 0 ? mu + (Size) j * d : gmu;
				double	   *S = pass == 0 ? scat + (Size) (nscat == 1 ? 0 : j) * per : all;

				for (int i = 0; i < d; i++)
					diff[i] = x[i] - c[i];
				if (matrix)
				{
					for (int i = 0; i < d; i++)
						for (int t = 0; t <= i; t++)
							S[(Size) i * d + t] += w * diff[i] * diff[t];
				}
				else
					for (int i = 0; i < d; i++)
						S[i] += w * diff[i] * diff[i];
			}
		}

	/* empty clusters: one average row of mass, the covariance of all rows */
	for (int j = 0; j < k; j++)
	{
		if (wt[j] <= 0.0)
		{
			wt[j] = avg_row;
			if (nscat > 1)
				for (Size i = 0; i < per; i++)
					scat[(Size) j * per + i] = all[i] * avg_row / src->sum_w;
		}
		total += wt[j];
	}

	for (int j = 0; j < nscat; j++)
	{
		double	   *S = scat + (Size) j * per;
		double		mass = (cov_type == GMM_COV_TIED) ? src->sum_w : wt[j];

		switch (cov_type)
		{
			case GMM_COV_FULL:
			case GMM_COV_TIED:
				{
					double	   *C = cov + (Size) j * d * d;

					for (int i = 0; i < d; i++)
					{
						for (int t = 0; t <= i; t++)
						{
							C[(Size) i * d + t] = S[(Size) i * d + t] / mass;
							C[(Size) t * d + i] = C[(Size) i * d + t];
						}
						C[(Size) i * d + i] += reg_covar;
					}
					break;
				}
			case GMM_COV_DIAG:
				for (int i = 0; i < d; i++)
					cov[(Size) j * d + i] = S[i] / mass + reg_covar;
				break;
			case GMM_COV_SPHERICAL:
				{
					double		v = 0.0;

					for (int i = 0; i < d; i++)
						v += S[i] / mass;
					cov[j] = v / d + reg_covar;
					break;
				}
		}
	}
	for (int j = 0; j < k; j++)
		wt[j] /= total;

	pfree(scat);
	pfree(gmu);
	pfree(diff);
	return m;
}

/* The initial model of one EM run */
Gmm *
gmm_init_model_src(GmmRowSource *src, int k, const GmmFitOptions *opts,
				   pg_prng_state *rng)
{
	int			d = src->d;
	double	   *centers = palloc(mul_size(sizeof(double), mul_size(k, d)));
	bool		use_centers = true;
	Gmm		   *m;

	switch (opts->init)
	{
		case GMM_INIT_GIVEN:
			memcpy(centers, opts->means, sizeof(double) * k * d);
			break;
		case GMM_INIT_KMEANSPP:
			gmm_kmeanspp(src, k, rng, centers);
			break;
		case GMM_INIT_RANDOM:
			gmm_random_rows(src, k, rng, centers);
			break;
		case GMM_INIT_KMEANS:
			gmm_kmeanspp(src, k, rng, centers);
			gmm_kmeans_lloyd(src, k, centers, LLOYD_DEFAULT_MAX_ITER);
			use_centers = false;
			break;
		default:
			elog(ERROR, "unknown init method %d", opts->init);
	}
	if (use_centers)
		gmm_assign_labels(src, k, centers);
	m = gmm_model_from_labels(src, k, opts->cov_type,
							  use_centers ? centers : NULL, opts->reg_covar);

	if (opts->weights)
	{
		double		s = 0.0;

		for (int j = 0; j < k; j++)
			s += opts->weights[j];
		for (int j = 0; j < k; j++)
			GMM_WEIGHTS(m)[j] = opts->weights[j] / s;
	}
	if (opts->covariances)
		memcpy(GMM_COVS(m), opts->covariances,
			   sizeof(double) * gmm_cov_count(opts->cov_type, k, d));
	pfree(centers);
	return m;
}

/* The initial model of one EM run over rows held in memory */
Gmm *
gmm_init_model(const GmmRows *rows, int k, const GmmFitOptions *opts,
			   pg_prng_state *rng)
{
	return gmm_init_model_src(gmm_rows_source(rows), k, opts, rng);
}

/* Bytes gmm.fit_memory_limit charges per row held in memory */
Size
gmm_fit_row_bytes(int d, bool weighted)
{
	return add_size(mul_size(sizeof(double), d),
					(weighted ? sizeof(double) : 0) + FIT_WORK_BYTES_PER_ROW);
}

/*
 * The largest k the rows allow: errors out when they hold fewer than
 * opts->k_min distinct rows, else opts->k_max capped at the distinct rows
 * (a NOTICE when opts->verbose).  sample_of > 0 words the messages for
 * gmm_train's sample of that many source rows; 0 for rows that are the
 * whole input.
 */
int
gmm_k_max_for_rows(const GmmRows *rows, const GmmFitOptions *opts,
				   const char *caller, int64 sample_of)
{
	return gmm_k_max_for_source(gmm_rows_source(rows), opts, caller, sample_of);
}

/* the same over a row source */
int
gmm_k_max_for_source(GmmRowSource *rows, const GmmFitOptions *opts,
					 const char *caller, int64 sample_of)
{
	int			k_min = opts->k_min,
				k_max = opts->k_max;
	int64		distinct = count_distinct_src(rows, k_max);

	if (distinct < k_min)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s: fewer distinct rows (" INT64_FORMAT ") than components (%d)%s",
						caller, distinct, k_min, sample_of ? " in the sample" : ""),
				 sample_of ?
				 errdetail("The sample holds " INT64_FORMAT " of the " INT64_FORMAT " rows of the source.",
						   rows->n, sample_of) :
				 errdetail("The input has " INT64_FORMAT " rows.", rows->n),
				 sample_of ?
				 errhint("Use fewer components, or a larger \"sample_size\" if the source has more distinct rows.") :
				 errhint("Use fewer components, or fit more data.")));
	if (distinct < k_max)
	{
		if (opts->verbose)
			ereport(NOTICE,
					(errmsg("%s: only " INT64_FORMAT " distinct rows%s: fitting k from %d to " INT64_FORMAT,
							caller, distinct, sample_of ? " in the sample" : "", k_min, distinct)));
		k_max = (int) distinct;
	}
	return k_max;
}
