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

/* pointer to row r */
static inline const double *
row_at(const GmmRows *rows, int64 r)
{
	return rows->X + (Size) r * rows->d;
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

/* Number of distinct rows (bitwise), counting no further than limit */
int64
gmm_count_distinct_rows(const GmmRows *rows, int64 limit)
{
	int64		cap = 16,
				count = 0;
	int64	   *slots;
	Size		rowbytes = sizeof(double) * rows->d;

	while (cap < 2 * limit)
		cap *= 2;
	slots = palloc_huge_array(int64, cap);
	for (int64 i = 0; i < cap; i++)
		slots[i] = -1;
	for (int64 r = 0; r < rows->n && count < limit; r++)
	{
		const double *x = row_at(rows, r);
		uint64		h = hash_bytes_extended((const unsigned char *) x, rowbytes, 0);
		int64		s = (int64) (h & (uint64) (cap - 1));

		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		for (;;)
		{
			if (slots[s] < 0)
			{
				slots[s] = r;
				count++;
				break;
			}
			if (memcmp(row_at(rows, slots[s]), x, rowbytes) == 0)
				break;
			s = (s + 1) & (cap - 1);
		}
	}
	pfree(slots);
	return count;
}

/* A row drawn with probability proportional to weight */
static int64
draw_weighted_row(const GmmRows *rows, pg_prng_state *rng)
{
	double		u,
				cum = 0.0;

	u = pg_prng_double(rng) * rows->sum_w;
	if (rows->w == NULL)		/* the same draw as for unit weights */
		return Min((int64) u, rows->n - 1);
	for (int64 r = 0; r < rows->n; r++)
	{
		cum += rows->w[r];
		if (cum > u)
			return r;
	}
	return rows->n - 1;
}

/* A row drawn with probability proportional to w * score; -1 if all are 0 */
static int64
draw_scored_row(const GmmRows *rows, const double *score, double total,
				pg_prng_state *rng)
{
	double		u = pg_prng_double(rng) * total,
				cum = 0.0;
	int64		last = -1;

	for (int64 r = 0; r < rows->n; r++)
	{
		double		c = gmm_row_weight(rows, r) * score[r];

		if (c > 0.0)
		{
			last = r;
			cum += c;
			if (cum > u)
				return r;
		}
	}
	return last;				/* rounding left cum just below u */
}

/* The first row from a random start that is not among the first m centres */
static int64
scan_new_row(const GmmRows *rows, const double *centers, int m,
			 pg_prng_state *rng)
{
	int64		start = (int64) pg_prng_uint64_range(rng, 0, rows->n - 1);

	for (int64 i = 0; i < rows->n; i++)
	{
		int64		r = (start + i) % rows->n;

		if ((i & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		if (!is_center(row_at(rows, r), centers, m, rows->d))
			return r;
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("fewer distinct rows than %d components", m + 1)));
	return -1;
}

/* Greedy weighted k-means++ seeding */
void
gmm_kmeanspp(const GmmRows *rows, int k, pg_prng_state *rng, double *centers)
{
	int			d = rows->d;
	int64		n = rows->n;
	int			trials = 2 + (int) log((double) k);
	double	   *d2 = palloc_huge_array(double, n);
	double		pot = 0.0;
	int64		first = draw_weighted_row(rows, rng);

	memcpy(centers, row_at(rows, first), sizeof(double) * d);
	for (int64 r = 0; r < n; r++)
	{
		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		d2[r] = sqdist(row_at(rows, r), centers, d);
		pot += gmm_row_weight(rows, r) * d2[r];
	}

	for (int c = 1; c < k; c++)
	{
		int64		best = -1;
		double		best_pot = INFINITY;

		if (pot > 0.0)
		{
			for (int t = 0; t < trials; t++)
			{
				int64		cand = draw_scored_row(rows, d2, pot, rng);
				const double *xc;
				double		cpot = 0.0;

				if (cand < 0)
					break;
				xc = row_at(rows, cand);
				for (int64 r = 0; r < n; r++)
				{
					if ((r & 1023) == 1023)
						CHECK_FOR_INTERRUPTS();
					cpot += gmm_row_weight(rows, r) *
						Min(d2[r], sqdist(row_at(rows, r), xc, d));
				}
				if (cpot < best_pot)
					best_pot = cpot, best = cand;
			}
		}
		/* all remaining mass is on the centres (or underflowed): any new row */
		if (best < 0)
			best = scan_new_row(rows, centers, c, rng);

		memcpy(centers + (Size) c * d, row_at(rows, best), sizeof(double) * d);
		pot = 0.0;
		for (int64 r = 0; r < n; r++)
		{
			double		t = sqdist(row_at(rows, r), centers + (Size) c * d, d);

			if ((r & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			if (t < d2[r])
				d2[r] = t;
			pot += gmm_row_weight(rows, r) * d2[r];
		}
	}
	pfree(d2);
}

/* k distinct rows drawn with probability proportional to weight */
void
gmm_random_rows(const GmmRows *rows, int k, pg_prng_state *rng,
				double *centers)
{
	int			d = rows->d;

	for (int c = 0; c < k; c++)
	{
		int64		r = -1;

		for (int t = 0; t < RANDOM_MAX_REJECTS; t++)
		{
			int64		cand = draw_weighted_row(rows, rng);

			if (!is_center(row_at(rows, cand), centers, c, d))
			{
				r = cand;
				break;
			}
		}
		if (r < 0)
			r = scan_new_row(rows, centers, c, rng);
		memcpy(centers + (Size) c * d, row_at(rows, r), sizeof(double) * d);
	}
}

/* Nearest centre of every row; returns the weighted inertia */
double
gmm_assign_labels(const GmmRows *rows, int k, const double *centers,
				  int32 *labels)
{
	int			d = rows->d;
	double		inertia = 0.0;

	for (int64 r = 0; r < rows->n; r++)
	{
		const double *x = row_at(rows, r);
		double		best;

		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		labels[r] = nearest_center(x, centers, k, d, &best);
		inertia += gmm_row_weight(rows, r) * best;
	}
	return inertia;
}

/* Weighted mean of the per-dimension variances of all rows */
static double
mean_variance(const GmmRows *rows)
{
	int			d = rows->d;
	double	   *mu = palloc0(sizeof(double) * d);
	double		v = 0.0;

	for (int64 r = 0; r < rows->n; r++)
	{
		const double *x = row_at(rows, r);
		double		w = gmm_row_weight(rows, r);

		for (int i = 0; i < d; i++)
			mu[i] += w * x[i];
	}
	for (int i = 0; i < d; i++)
		mu[i] /= rows->sum_w;
	for (int64 r = 0; r < rows->n; r++)
	{
		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		v += gmm_row_weight(rows, r) * sqdist(row_at(rows, r), mu, d);
	}
	pfree(mu);
	return v / rows->sum_w / d;
}

/* Lloyd's k-means from the given centres */
int
gmm_kmeans_lloyd(const GmmRows *rows, int k, double *centers, int32 *labels,
				 int max_iter)
{
	int			d = rows->d;
	double	   *sum = palloc(sizeof(double) * k * d);
	double	   *mass = palloc(sizeof(double) * k);
	double		tol = LLOYD_TOL * mean_variance(rows);
	int			iter;

	if (max_iter <= 0)
		max_iter = LLOYD_DEFAULT_MAX_ITER;
	gmm_assign_labels(rows, k, centers, labels);
	for (iter = 1; iter <= max_iter; iter++)
	{
		double		shift = 0.0;
		int64		changed = 0;

		memset(sum, 0, sizeof(double) * k * d);
		memset(mass, 0, sizeof(double) * k);
		for (int64 r = 0; r < rows->n; r++)
		{
			const double *x = row_at(rows, r);
			double		w = gmm_row_weight(rows, r);
			double	   *s = sum + (Size) labels[r] * d;

			if ((r & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();

			mass[labels[r]] += w;
			for (int i = 0; i < d; i++)
				s[i] += w * x[i];
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

				for (int64 r = 0; r < rows->n; r++)
				{
					double		t = sqdist(row_at(rows, r), centers + (Size) labels[r] * d, d);

					if ((r & 1023) == 1023)
						CHECK_FOR_INTERRUPTS();

					if (t > fd)
						fd = t, far = r;
				}
				shift += sqdist(row_at(rows, far), c, d);
				memcpy(c, row_at(rows, far), sizeof(double) * d);
				labels[far] = j;
			}
		}

		/* reassign */
		for (int64 r = 0; r < rows->n; r++)
		{
			const double *x = row_at(rows, r);
			double		best;
			int			bj;

			if ((r & 1023) == 1023)
				CHECK_FOR_INTERRUPTS();
			bj = nearest_center(x, centers, k, d, &best);
			if (labels[r] != bj)
				changed++, labels[r] = bj;
		}
		if (changed == 0 || shift <= tol)
			break;
	}
	pfree(sum);
	pfree(mass);
	return Min(iter, max_iter);
}

/* The model of a hard assignment */
Gmm *
gmm_model_from_labels(const GmmRows *rows, int k, int cov_type,
					  const int32 *labels, const double *centers,
					  double reg_covar)
{
	int			d = rows->d;
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
	double		avg_row = rows->sum_w / rows->n,
				total = 0.0;

	/* masses and means */
	for (int64 r = 0; r < rows->n; r++)
	{
		const double *x = row_at(rows, r);
		double		w = gmm_row_weight(rows, r);

		wt[labels[r]] += w;
		for (int i = 0; i < d; i++)
		{
			mu[(Size) labels[r] * d + i] += w * x[i];
			gmu[i] += w * x[i];
		}
	}
	for (int i = 0; i < d; i++)
		gmu[i] /= rows->sum_w;
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
	for (int64 r = 0; r < rows->n; r++)
	{
		const double *x = row_at(rows, r);
		double		w = gmm_row_weight(rows, r);
		int			j = labels[r];

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
					scat[(Size) j * per + i] = all[i] * avg_row / rows->sum_w;
		}
		total += wt[j];
	}

	for (int j = 0; j < nscat; j++)
	{
		double	   *S = scat + (Size) j * per;
		double		mass = (cov_type == GMM_COV_TIED) ? rows->sum_w : wt[j];

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
gmm_init_model(const GmmRows *rows, int k, const GmmFitOptions *opts,
			   pg_prng_state *rng)
{
	int			d = rows->d;
	double	   *centers = palloc(mul_size(sizeof(double), mul_size(k, d)));
	int32	   *labels = palloc_huge_array(int32, rows->n);
	bool		use_centers = true;
	Gmm		   *m;

	switch (opts->init)
	{
		case GMM_INIT_GIVEN:
			memcpy(centers, opts->means, sizeof(double) * k * d);
			break;
		case GMM_INIT_KMEANSPP:
			gmm_kmeanspp(rows, k, rng, centers);
			break;
		case GMM_INIT_RANDOM:
			gmm_random_rows(rows, k, rng, centers);
			break;
		case GMM_INIT_KMEANS:
			gmm_kmeanspp(rows, k, rng, centers);
			gmm_kmeans_lloyd(rows, k, centers, labels, LLOYD_DEFAULT_MAX_ITER);
			use_centers = false;
			break;
		default:
			elog(ERROR, "unknown init method %d", opts->init);
	}
	if (use_centers)
		gmm_assign_labels(rows, k, centers, labels);
	m = gmm_model_from_labels(rows, k, opts->cov_type, labels,
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
	pfree(labels);
	return m;
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
	int			k_min = opts->k_min,
				k_max = opts->k_max;
	int64		distinct = gmm_count_distinct_rows(rows, k_max);

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
