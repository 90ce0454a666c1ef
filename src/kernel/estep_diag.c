/*
 * kernel/estep_diag.c
 *	  The diag/spherical kernels of the blocked E-step and the block
 *	  transposition (see estep_diag.h and estep_blocks.c).  The log-densities
 *	  keep the partial sums of 32 rows in registers, the statistics take four
 *	  dimensions per pass over the responsibilities; both run on eight-double
 *	  vectors (gmm_v8), which the clones built for x86-64-v4 hold in AVX-512
 *	  registers.  Every lane sums in the order of the plain one-dimension-at-
 *	  a-time loop, so the results have the same bits on every instruction
 *	  set the kernels are built for and every thread count.
 */
#include "postgres.h"

/* let comparisons and sqrt be vectorised; values are not affected */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#endif

#include <math.h>

#include "kernel/estep_diag.h"
#include "kernel/vecmath.h"

/*
 * Transpose rows into xt (d x GMM_BLOCK), zero-padding rows nb..nbp-1: in
 * tiles of 4 rows x 4 dimensions (four loads, eight shuffles, four stores),
 * the edges one value at a time
 */
GMM_MULTIARCH void
gmm_block_transpose(const double *restrict X, int nb, int nbp, int d,
					double *restrict xt)
{
	int			r = 0;

	for (; r + 4 <= nb; r += 4)
	{
		const double *x0 = X + (Size) r * d,
				   *x1 = x0 + d,
				   *x2 = x1 + d,
				   *x3 = x2 + d;
		int			i = 0;

		for (; i + 4 <= d; i += 4)
		{
			gmm_v4		a = GMM_V4(x0 + i),
						b = GMM_V4(x1 + i),
						c = GMM_V4(x2 + i),
						e = GMM_V4(x3 + i);
			gmm_v4		ab0 = __builtin_shufflevector(a, b, 0, 4, 2, 6),
						ab1 = __builtin_shufflevector(a, b, 1, 5, 3, 7),
						ce0 = __builtin_shufflevector(c, e, 0, 4, 2, 6),
						ce1 = __builtin_shufflevector(c, e, 1, 5, 3, 7);
			double	   *o = xt + (Size) i * GMM_BLOCK + r;

			GMM_V4_STORE(o, __builtin_shufflevector(ab0, ce0, 0, 1, 4, 5));
			GMM_V4_STORE(o + GMM_BLOCK, __builtin_shufflevector(ab1, ce1, 0, 1, 4, 5));
			GMM_V4_STORE(o + 2 * GMM_BLOCK, __builtin_shufflevector(ab0, ce0, 2, 3, 6, 7));
			GMM_V4_STORE(o + 3 * GMM_BLOCK, __builtin_shufflevector(ab1, ce1, 2, 3, 6, 7));
		}
		for (; i < d; i++)
		{
			double	   *o = xt + (Size) i * GMM_BLOCK + r;

			o[0] = x0[i];
			o[1] = x1[i];
			o[2] = x2[i];
			o[3] = x3[i];
		}
	}
	for (; r < nb; r++)
	{
		const double *x = X + (Size) r * d;

		for (int i = 0; i < d; i++)
			xt[(Size) i * GMM_BLOCK + r] = x[i];
	}
	for (int i = 0; i < d; i++)
		for (int rp = nb; rp < nbp; rp++)
			xt[(Size) i * GMM_BLOCK + rp] = 0.0;
}

/*
 * lp[j][r] for diag/spherical covariances, on the transposed block: the sum
 * over dimensions of each row's squared standardised distance held in
 * registers, 32 rows at a time (then 8), one dimension after the other (the
 * order of the sum of every row is that of the plain loop, hence its bits).
 * The dimensions go in chunks of GMM_DIAG_DIMS, every component running
 * over a chunk while its rows of xt are in the L1 cache, the partial sums
 * kept in lp between chunks.
 */
#define GMM_DIAG_DIMS		48

GMM_MULTIARCH_WIDE void
gmm_block_logpdf_diag(const GmmPrepared *p, const double *restrict xt,
					  double *restrict lp, int nbp)
{
	int			k = p->k,
				d = p->d;
	int			r0 = 0;

	for (; r0 + 4 * GMM_LANES <= nbp; r0 += 4 * GMM_LANES)
	{
		for (int i0 = 0; i0 < d; i0 += GMM_DIAG_DIMS)
		{
			int			i1 = Min(d, i0 + GMM_DIAG_DIMS);

			for (int j = 0; j < k; j++)
			{
				const double *mu = p->means + (Size) j * d;
				const double *is = p->inv_std + (Size) j * d;
				double	   *q = lp + (Size) j * GMM_BLOCK + r0;
				gmm_v8		q0 = {0},
							q1 = {0},
							q2 = {0},
							q3 = {0};
				const double *x = xt + (Size) i0 * GMM_BLOCK + r0;

				if (i0 > 0)
				{
					q0 = GMM_V8(q);
					q1 = GMM_V8(q + 8);
					q2 = GMM_V8(q + 16);
					q3 = GMM_V8(q + 24);
				}
				for (int i = i0; i < i1; i++, x += GMM_BLOCK)
				{
					double		m = mu[i],
								s = is[i];
					gmm_v8		v0 = (GMM_V8(x) - m) * s,
								v1 = (GMM_V8(x + 8) - m) * s,
								v2 = (GMM_V8(x + 16) - m) * s,
								v3 = (GMM_V8(x + 24) - m) * s;

					q0 += v0 * v0;
					q1 += v1 * v1;
					q2 += v2 * v2;
					q3 += v3 * v3;
				}
				GMM_V8_STORE(q, q0);
				GMM_V8_STORE(q + 8, q1);
				GMM_V8_STORE(q + 16, q2);
				GMM_V8_STORE(q + 24, q3);
			}
		}
	}
	for (; r0 < nbp; r0 += GMM_LANES)
	{
		for (int j = 0; j < k; j++)
		{
			const double *mu = p->means + (Size) j * d;
			const double *is = p->inv_std + (Size) j * d;
			gmm_v8		q0 = {0};
			const double *x = xt + r0;

			for (int i = 0; i < d; i++, x += GMM_BLOCK)
			{
				gmm_v8		v0 = (GMM_V8(x) - mu[i]) * is[i];

				q0 += v0 * v0;
			}
			GMM_V8_STORE(lp + (Size) j * GMM_BLOCK + r0, q0);
		}
	}
	/* from the sums of squares to the weighted log-densities */
	for (int j = 0; j < k; j++)
	{
		double		ln = p->log_norm[j];
		double	   *lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nbp; r += GMM_LANES)
			GMM_V8_STORE(lpj + r, ln - 0.5 * GMM_V8(lpj + r));
	}
}

/*
 * Statistics of diag/spherical components on the transposed block: four
 * dimensions at a time share the loads of g, eight lanes of partial sums per
 * dimension and statistic (each lane's order is that of one dimension at a
 * time, hence the same bits); every component runs over the same four rows
 * of xt while they are in the L1 cache.  lp holds the responsibilities g;
 * nk: k doubles of scratch.
 */
GMM_MULTIARCH_WIDE void
gmm_block_stats_diag(const double *restrict xt, const double *restrict lp,
					 const double *shift, int k, int d, int nbp,
					 double *restrict nk, GmmSuff *acc)
{
	int			i = 0;

	for (int j = 0; j < k; j++)
	{
		nk[j] = gmm_sum_lanes(lp + (Size) j * GMM_BLOCK, nbp);
		acc->nk[j] += nk[j];
	}
	for (; i + 4 <= d; i += 4)
	{
		const double *x0 = xt + (Size) i * GMM_BLOCK;

		for (int j = 0; j < k; j++)
		{
			const double *restrict g = lp + (Size) j * GMM_BLOCK;
			const double *c = shift + (Size) j * d + i;
			double	   *s1 = acc->s1 + (Size) j * d + i;
			double	   *s2 = acc->s2 + (Size) j * d + i;
			double		c0 = c[0],
						c1 = c[1],
						c2 = c[2],
						c3 = c[3];
			gmm_v8		a10 = {0},
						a11 = {0},
						a12 = {0},
						a13 = {0},
						a20 = {0},
						a21 = {0},
						a22 = {0},
						a23 = {0};

			if (nk[j] == 0.0)
				continue;
			for (int r = 0; r < nbp; r += GMM_LANES)
			{
				gmm_v8		gr = GMM_V8(g + r),
							v0 = GMM_V8(x0 + r) - c0,
							v1 = GMM_V8(x0 + GMM_BLOCK + r) - c1,
							v2 = GMM_V8(x0 + 2 * GMM_BLOCK + r) - c2,
							v3 = GMM_V8(x0 + 3 * GMM_BLOCK + r) - c3,
							g0 = gr * v0,
							g1 = gr * v1,
							g2 = gr * v2,
							g3 = gr * v3;

				a10 += g0;
				a11 += g1;
				a12 += g2;
				a13 += g3;
				a20 += g0 * v0;
				a21 += g1 * v1;
				a22 += g2 * v2;
				a23 += g3 * v3;
			}
			s1[0] += GMM_HSUM_V8(a10);
			s1[1] += GMM_HSUM_V8(a11);
			s1[2] += GMM_HSUM_V8(a12);
			s1[3] += GMM_HSUM_V8(a13);
			s2[0] += GMM_HSUM_V8(a20);
			s2[1] += GMM_HSUM_V8(a21);
			s2[2] += GMM_HSUM_V8(a22);
			s2[3] += GMM_HSUM_V8(a23);
		}
	}
	for (; i < d; i++)
	{
		const double *xi = xt + (Size) i * GMM_BLOCK;

		for (int j = 0; j < k; j++)
		{
			const double *restrict g = lp + (Size) j * GMM_BLOCK;
			double		ci = shift[(Size) j * d + i];
			gmm_v8		a1 = {0},
						a2 = {0};

			if (nk[j] == 0.0)
				continue;
			for (int r = 0; r < nbp; r += GMM_LANES)
			{
				gmm_v8		v = GMM_V8(xi + r) - ci,
							gv = GMM_V8(g + r) * v;

				a1 += gv;
				a2 += gv * v;
			}
			acc->s1[(Size) j * d + i] += GMM_HSUM_V8(a1);
			acc->s2[(Size) j * d + i] += GMM_HSUM_V8(a2);
		}
	}
}
