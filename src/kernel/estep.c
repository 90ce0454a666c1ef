/*
 * kernel/estep.c
 *	  The E-step over plain arrays: accumulates the shifted sufficient
 *	  statistics of kernel/suff.h, through the blocked kernels of
 *	  estep_blocks.c or, for a few rows, one row at a time.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "kernel/estep.h"
#include "kernel/vecmath.h"

/*
 * The E-step of a few rows, one at a time (gmm_em_step's transition adds
 * one row per call), and of all rows on CPUs without AVX2: the point's
 * weighted log-densities, responsibilities from one exp per component
 * (g_j = w e_j / sum e, e_j = exp(lp_j - max)), and the statistics updated
 * in loops the compiler vectorises (built with -ffp-contract=off, see the
 * Makefile, and without target_clones: no fused multiply-adds on any CPU,
 * so that a row's statistics keep the bits they always had).
 */
void
gmm_estep_rows(const GmmPrepared *p, const double *X, const double *w,
			   int n, GmmSuff *s)
{
	int			k = p->k,
				d = p->d;
	Size		s2n = gmm_s2_count(s->cov_type, d);
	bool		packed = (s->cov_type == GMM_COV_FULL || s->cov_type == GMM_COV_TIED);
	double	   *diff = p->work + d;
	double	   *lp = p->work + 2 * d;

	for (int r = 0; r < n; r++)
	{
		const double *x = X + (Size) r * d;
		double		wr = w ? w[r] : 1.0;
		double		ll,
					sum = 0.0,
					scale;

		if ((r & 1023) == 1023)
			CHECK_FOR_INTERRUPTS();
		if (wr == 0.0)
			continue;
		if (gmm_point_logpdf_vec(p, x, lp, &ll, lp) && likely(isfinite(ll)))
		{
			/* lp now holds exp(lp_j - max) */
			for (int j = 0; j < k; j++)
				sum += lp[j];
		}
		else
		{
			/* also a point whose densities overflowed: the exact path */
			ll = gmm_point_logpdf(p, x, lp);
			for (int j = 0; j < k; j++)
			{
				lp[j] = exp(lp[j] - ll);
				sum += lp[j];
			}
		}
		s->sum_w += wr;
		s->sum_ll += wr * ll;
		if (isinf(ll))
			continue;			/* no component gives the point a density */
		scale = wr / sum;
		for (int j = 0; j < k; j++)
		{
			double		g = lp[j] * scale;
			const double *c = s->shift + (Size) j * d;
			double	   *s1 = s->s1 + (Size) j * d;
			double	   *s2 = s->s2 + (Size) j * s2n;

			if (g == 0.0)
				continue;
			s->nk[j] += g;
			for (int i = 0; i < d; i++)
			{
				diff[i] = x[i] - c[i];
				s1[i] += g * diff[i];
			}
			if (packed)
				gmm_packed_update(s2, diff, g, d);
			else
			{
				for (int i = 0; i < d; i++)
					s2[i] += g * diff[i] * diff[i];
			}
		}
	}
}

/*
 * E-step over n rows, adding to s: the blocked kernels of estep_blocks.c
 * for more than a few rows (where their vector code runs at full width),
 * otherwise row by row.
 */
void
gmm_estep_accum(const GmmPrepared *p, const double *X, const double *w,
				int n, GmmSuff *s)
{
	if (n >= GMM_BLOCK_MIN_ROWS && gmm_fast_vectors())
		gmm_estep_blocks(p, X, w, n, s);
	else
		gmm_estep_rows(p, X, w, n, s);
}

