/*
 * kernel/missing_block.c
 *	  The E-step of incomplete rows for full and tied models, a group of
 *	  rows of one missingness pattern at a time (see kernel/missing.h for
 *	  the formulas).  The rows waiting in the cache are put in groups by
 *	  pattern (the groups in the order of their first row, the rows of a
 *	  group in their order: the result depends only on the input); each group is laid out by dimension (one row of the
 *	  layout per dimension, the group's rows along it), so that the forward
 *	  substitution, the completion of the missing values and the sums of
 *	  the statistics run as loops across the rows, which the compiler
 *	  vectorises; the conditional covariance is added once per group and
 *	  component, scaled by the group's total responsibility.  Rows are
 *	  padded to a multiple of GMM_LANES (with responsibility 0), so that
 *	  sums across them use the eight-lane helpers of vecmath.h.
 */
#include "postgres.h"

/* let comparisons be vectorised; values are not affected */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#endif

#include <math.h>

#include "utils/memutils.h"

#include "kernel/missing_int.h"
#include "kernel/vecmath.h"

/*
 * Whitened residuals of component j for the group's nb rows: bz[a][r] =
 * (L^{-1} (x_o - mu_o))_a, by forward substitution across the rows
 */
static GMM_MULTIARCH void
whiten(const GmmMissCache *c, const MissPattern *pt, int j, int nb, double *bz)
{
	int			no = pt->no,
				t = (c->nmat == 1) ? 0 : j;
	const double *L = pt->L + (Size) t * no * no;
	const double *rd = pt->rdiag + (Size) t * no;
	const double *mu = GMM_MEANS(c->m) + (Size) j * c->d;

	for (int a = 0; a < no; a++)
	{
		double	   *restrict za = bz + (Size) a * c->pend_cap;
		const double *restrict xa = c->bx + (Size) a * c->pend_cap;
		double		ma = mu[pt->obs[a]];

		for (int r = 0; r < nb; r++)
			za[r] = xa[r] - ma;
		for (int b = 0; b < a; b++)
		{
			const double *restrict zb = bz + (Size) b * c->pend_cap;
			double		lab = L[(Size) a * no + b];

			for (int r = 0; r < nb; r++)
				za[r] -= lab * zb[r];
		}
		for (int r = 0; r < nb; r++)
			za[r] *= rd[a];
	}
}

/* where the whitened residuals of component j go */
static inline double *
zbuf(const GmmMissCache *c, int j)
{
	if (c->bzk == NULL)
		return c->bz;			/* computed again in the second pass */
	return c->bzk + (Size) j * c->d * c->pend_cap;
}

/*
 * The responsibilities of the group's nb rows row by row, from the
 * log-densities in c->bg (nbp rows with the padding): for groups where a
 * row has no density under any component
 */
static void
group_resp_rows(GmmMissCache *c, int nb, int nbp, GmmSuff *s)
{
	int			k = c->k;
	double	   *bg = c->bg;

	for (int r = 0; r < nb; r++)
	{
		double		mx = -INFINITY,
					sum = 0.0,
					wr = c->bw[r];

		for (int j = 0; j < k; j++)
			mx = Max(mx, bg[(Size) j * c->pend_cap + r]);
		s->sum_w += wr;
		if (isinf(mx))
		{
			/* no component gives the row a density */
			s->sum_ll += wr * mx;
			for (int j = 0; j < k; j++)
				bg[(Size) j * c->pend_cap + r] = 0.0;
			continue;
		}
		for (int j = 0; j < k; j++)
		{
			double	   *e = &bg[(Size) j * c->pend_cap + r];

			*e = gmm_vexp(*e - mx);
			sum += *e;
		}
		s->sum_ll += wr * (mx + log(sum));
		for (int j = 0; j < k; j++)
			bg[(Size) j * c->pend_cap + r] *= wr / sum;
	}
	for (int j = 0; j < k; j++)
		for (int r = nb; r < nbp; r++)
			bg[(Size) j * c->pend_cap + r] = 0.0;	/* padding */
}

/*
 * The statistics of one group of nb rows of pattern pt, into s; the
 * buffers hold nbp rows (a multiple of GMM_LANES), the rows from nb on
 * being padding of finite values
 */
static GMM_MULTIARCH void
group_estep(GmmMissCache *c, const MissPattern *pt, int nb, int nbp, GmmSuff *s)
{
	int			k = c->k,
				d = c->d,
				no = pt->no,
				nm = pt->nm;
	Size		s2n = gmm_s2_count(c->cov_type, d);
	double	   *bg = c->bg;

	/* log-densities of the observed values, lp[j][r] */
	for (int j = 0; j < k; j++)
	{
		double	   *restrict lp = bg + (Size) j * c->pend_cap;
		double		ln = pt->log_norm[j];
		double	   *bz = zbuf(c, j);

		whiten(c, pt, j, nbp, bz);
		for (int r = 0; r < nbp; r++)
			lp[r] = 0.0;
		for (int a = 0; a < no; a++)
		{
			const double *restrict za = bz + (Size) a * c->pend_cap;

			for (int r = 0; r < nbp; r++)
				lp[r] += za[r] * za[r];
		}
		for (int r = 0; r < nbp; r++)
			lp[r] = ln - 0.5 * lp[r];
	}
	/*
	 * responsibilities, log-likelihoods: across the rows, so that the
	 * loops vectorise (bd's first two rows are free until the residuals)
	 */
	{
		double	   *restrict mx = c->bd;
		double	   *restrict sum = c->bd + c->pend_cap;
		bool		any_inf = false;

		for (int r = nb; r < nbp; r++)
			c->bw[r] = 0.0;		/* padding: responsibility 0 */
		for (int r = 0; r < nbp; r++)
			mx[r] = bg[r];
		for (int j = 1; j < k; j++)
		{
			const double *restrict lp = bg + (Size) j * c->pend_cap;

			for (int r = 0; r < nbp; r++)
				mx[r] = Max(mx[r], lp[r]);
		}
		for (int r = 0; r < nbp; r++)
			any_inf |= isinf(mx[r]);
		if (likely(!any_inf))
		{
			const double *restrict bw = c->bw;

			for (int r = 0; r < nbp; r++)
				sum[r] = 0.0;
			for (int j = 0; j < k; j++)
			{
				double	   *restrict lp = bg + (Size) j * c->pend_cap;

				for (int r = 0; r < nbp; r++)
				{
					lp[r] = gmm_vexp(lp[r] - mx[r]);
					sum[r] += lp[r];
				}
			}
			/* mx becomes the row's log-likelihood, sum its scale w / sum */
			for (int r = 0; r < nbp; r++)
			{
				mx[r] = bw[r] * (mx[r] + gmm_vlog(sum[r]));
				sum[r] = bw[r] / sum[r];
			}
			for (int r = 0; r < nb; r++)
			{
				s->sum_w += bw[r];
				s->sum_ll += mx[r];
			}
			for (int j = 0; j < k; j++)
			{
				double	   *restrict lp = bg + (Size) j * c->pend_cap;

				for (int r = 0; r < nbp; r++)
					lp[r] *= sum[r];
			}
		}
		else
			group_resp_rows(c, nb, nbp, s);
	}
	/* the completed residuals and their moments, per component */
	for (int j = 0; j < k; j++)
	{
		const double *restrict g = bg + (Size) j * c->pend_cap;
		const double *mu = GMM_MEANS(c->m) + (Size) j * d;
		int			t = (c->nmat == 1) ? 0 : j;
		const double *Y = pt->Y + (Size) t * no * nm;
		const double *C = pt->C + (Size) t * nm * nm;
		double	   *s1 = s->s1 + (Size) j * d;
		double	   *s2 = s->s2 + (Size) j * s2n;
		double		gsum = gmm_sum_lanes(g, nbp);
		double	   *bz = zbuf(c, j);

		if (gsum == 0.0)
			continue;
		s->nk[j] += gsum;
		if (c->bzk == NULL)
			whiten(c, pt, j, nbp, bz);	/* not kept from the first pass */
		for (int a = 0; a < no; a++)
		{
			double	   *restrict da = c->bd + (Size) pt->obs[a] * c->pend_cap;
			const double *restrict xa = c->bx + (Size) a * c->pend_cap;
			double		ma = mu[pt->obs[a]];

			for (int r = 0; r < nbp; r++)
				da[r] = xa[r] - ma;
		}
		for (int b = 0; b < nm; b++)
		{
			double	   *restrict db = c->bd + (Size) pt->mis[b] * c->pend_cap;

			for (int r = 0; r < nbp; r++)
				db[r] = 0.0;
			for (int a = 0; a < no; a++)
			{
				const double *restrict za = bz + (Size) a * c->pend_cap;
				double		y = Y[(Size) a * nm + b];

				for (int r = 0; r < nbp; r++)
					db[r] += y * za[r];
			}
		}
		for (int i = 0; i < d; i++)
		{
			const double *restrict di = c->bd + (Size) i * c->pend_cap;
			double	   *restrict gd = c->bz;	/* g * d_i (the residuals are used up) */

			for (int r = 0; r < nbp; r++)
				gd[r] = g[r] * di[r];
			s1[i] += gmm_sum_lanes(gd, nbp);
			for (int t2 = 0; t2 <= i; t2++)
				s2[(Size) i * (i + 1) / 2 + t2] +=
					gmm_dot_lanes(gd, c->bd + (Size) t2 * c->pend_cap, nbp);
		}
		for (int a = 0; a < nm; a++)
		{
			double	   *row = s2 + (Size) pt->mis[a] * (pt->mis[a] + 1) / 2;

			for (int b = 0; b <= a; b++)
				row[pt->mis[b]] += gsum * C[(Size) a * nm + b];
		}
	}
}

/* Allocate the group buffers at first use */
static void
alloc_buffers(GmmMissCache *c)
{
	MemoryContext old = MemoryContextSwitchTo(c->cxt);
	Size		per = mul_size(c->pend_cap, c->d);

	c->bx = palloc(mul_size(sizeof(double), per));
	c->bz = palloc(mul_size(sizeof(double), per));
	c->bd = palloc(mul_size(sizeof(double), per));
	c->bw = palloc(sizeof(double) * c->pend_cap);
	c->bg = MemoryContextAllocHuge(c->cxt, mul_size(sizeof(double), mul_size(c->pend_cap, c->k)));
	if ((double) c->k * c->d * c->pend_cap <= (double) MISS_ZK_DOUBLES)
		c->bzk = palloc(sizeof(double) * (Size) c->k * c->d * c->pend_cap);
	c->grp_pt = palloc(sizeof(MissPattern *) * c->pend_cap);
	c->grp_start = palloc(sizeof(int) * (c->pend_cap + 1));
	c->grp_rows = palloc(sizeof(int) * c->pend_cap);
	MemoryContextSwitchTo(old);
}

/* The E-step of the waiting rows, grouped by pattern */
void
gmm_miss_flush_pending(GmmMissCache *c, GmmSuff *s)
{
	int			n = c->n_pend,
				d = c->d,
				ng = 0;

	if (n == 0)
		return;
	if (c->bx == NULL)
		alloc_buffers(c);
	/* the groups, in the order of their first row, and their sizes */
	c->batch++;
	for (int i = 0; i < n; i++)
	{
		MissPattern *pt = c->pend_pt[i];

		if (pt->batch != c->batch)
		{
			pt->batch = c->batch;
			pt->group = ng;
			c->grp_pt[ng] = pt;
			c->grp_start[ng + 1] = 0;
			ng++;
		}
		c->grp_start[pt->group + 1]++;
	}
	c->grp_start[0] = 0;
	for (int g = 0; g < ng; g++)
		c->grp_start[g + 1] += c->grp_start[g];
	/* the rows of each group in their order (grp_start[g] counts up to g + 1's start) */
	for (int i = 0; i < n; i++)
		c->grp_rows[c->grp_start[c->pend_pt[i]->group]++] = i;
	for (int g = ng; g > 0; g--)
		c->grp_start[g] = c->grp_start[g - 1];
	c->grp_start[0] = 0;
	for (int g = 0; g < ng; g++)
	{
		MissPattern *pt = c->grp_pt[g];
		int			nb = c->grp_start[g + 1] - c->grp_start[g];
		const int  *rows = c->grp_rows + c->grp_start[g];

		int			nbp = (nb + GMM_LANES - 1) / GMM_LANES * GMM_LANES;

		for (int r = 0; r < nb; r++)
		{
			const double *x = c->pend_x + (Size) rows[r] * d;

			for (int a = 0; a < pt->no; a++)
				c->bx[(Size) a * c->pend_cap + r] = x[pt->obs[a]];
			c->bw[r] = c->pend_w[rows[r]];
		}
		for (int a = 0; a < pt->no; a++)
			for (int r = nb; r < nbp; r++)
				c->bx[(Size) a * c->pend_cap + r] = 0.0;	/* padding */
		group_estep(c, pt, nb, nbp, s);
	}
	c->n_pend = 0;
}
