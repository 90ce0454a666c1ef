/*
 * kernel/estep_gemm.c
 *	  The diag/spherical E-step of one block through BLAS level 3, for many
 *	  dimensions (estep_gemm.h; used by estep_blocks.c from GMM_GEMM_MIN_D
 *	  dimensions and GMM_GEMM_MIN_K components on).  The block's rows are shifted by one common centre c
 *	  (the mean of the statistics' shifts c_j), y = x - c, and with
 *	  s_ji = 1 / sigma_ji^2 and m_ji = mu_ji - c_i:
 *	    q_rj = sum_i s_ji (y_ri - m_ji)^2
 *	         = [Y^2 S^T]_rj - 2 [Y (m s)^T]_rj + b_j,   b_j = sum_i s_ji m_ji^2
 *	    sum_r g_rj (x_ri - c_ji)   = [G^T Y]_ji + n_j t_ji
 *	    sum_r g_rj (x_ri - c_ji)^2 = [G^T Y^2]_ji + 2 t_ji [G^T Y]_ji + n_j t_ji^2
 *	  with t_ji = c_i - c_ji and n_j = sum_r g_rj: four products of a
 *	  k-row matrix with the block (cblas_dgemm, single-threaded: the
 *	  kernel's threads run blocks), 2 multiply-adds per value and component
 *	  for each of log-densities and statistics.
 *
 *	  Precision.  The expanded form loses bits when its terms are much
 *	  larger than q itself (a row, or a mean, far from c while close to
 *	  each other).  Its absolute error is a small multiple of eps times
 *	  e_rj = [Y^2 S^T]_rj + 2 |[Y (m s)^T]_rj| + b_j, the row path's error a
 *	  small multiple of eps times q_rj.  So a block is taken only when for
 *	  every row and every component that matters for it (q_rj within
 *	  GMM_GEMM_RELEVANT of the row's smallest q; the others get
 *	  responsibilities below 1e-300) e_rj <= GMM_GEMM_GROWTH * (q_rj + 1),
 *	  i.e. at most log2(GMM_GEMM_GROWTH) = 10 bits more than the row path,
 *	  and every q and e is finite; otherwise gmm_block_logpdf_gemm returns
 *	  false and the caller runs the block through the transposed kernels
 *	  (estep_diag.c).  The statistics' change of shift loses
 *	  log2(1 + t_ji^2 s_ji) bits at most: gmm_gemm_prepare declines the
 *	  model (NULL: every block goes the transposed way) when some
 *	  t_ji^2 s_ji exceeds GMM_GEMM_GROWTH.  The decisions depend on the
 *	  model and the block's rows only, never on threads or on how blocks
 *	  fall to them, so results keep the same bits for every thread count.
 */
#include "postgres.h"

#include <math.h>
#include <cblas.h>

#include "kernel/estep_gemm.h"
#include "kernel/vecmath.h"

/* how many times the row path's rounding the expanded terms may reach */
#define GMM_GEMM_GROWTH		1024.0
/* q_rj further than this above the row's minimum: g_rj < exp(-750) = 0 */
#define GMM_GEMM_RELEVANT	1500.0
/* m * n * k of one product (see gmm_gemm_span) */
#define GMM_GEMM_SPAN_FLOPS	900000.0

GmmGemmModel *
gmm_gemm_prepare(const GmmPrepared *p, const double *shift)
{
	int			k = p->k,
				d = p->d;
	GmmGemmModel *gm = palloc(sizeof(GmmGemmModel));

	gm->k = k;
	gm->d = d;
	gm->c = palloc0(sizeof(double) * d);
	gm->t = palloc(sizeof(double) * k * d);
	gm->b = palloc(sizeof(double) * k);
	gm->st = palloc(sizeof(double) * k * d);
	gm->mst = palloc(sizeof(double) * k * d);
	for (int j = 0; j < k; j++)
		for (int i = 0; i < d; i++)
			gm->c[i] += shift[(Size) j * d + i];
	for (int i = 0; i < d; i++)
		gm->c[i] /= k;
	for (int j = 0; j < k; j++)
	{
		double		b = 0.0;

		for (int i = 0; i < d; i++)
		{
			Size		ji = (Size) j * d + i;
			double		is = p->inv_std[ji],
						s = is * is,
						m = p->means[ji] - gm->c[i],
						t = gm->c[i] - shift[ji];

			if (!(t * t * s <= GMM_GEMM_GROWTH) || !isfinite(m * m * s))
			{
				gmm_gemm_free(gm);
				return NULL;
			}
			gm->st[(Size) i * k + j] = s;
			gm->mst[(Size) i * k + j] = m * s;
			gm->t[ji] = t;
			b += m * m * s;
		}
		gm->b[j] = b;
	}
	return gm;
}

void
gmm_gemm_free(GmmGemmModel *gm)
{
	pfree(gm->c);
	pfree(gm->t);
	pfree(gm->b);
	pfree(gm->st);
	pfree(gm->mst);
	pfree(gm);
}

/*
 * The products go in spans of rows (or columns) of at most
 * GMM_GEMM_SPAN_FLOPS / (k * inner) each, a multiple of "mult": OpenBLAS
 * runs products that small through kernels that skip packing the
 * operands, measured 15-25% faster here on 200,000 rows x 384, k = 10;
 * a fixed cut, so the same bits whatever the block's position.
 */
static int
gmm_gemm_span(int k, int inner, int mult)
{
	int			n = (int) (GMM_GEMM_SPAN_FLOPS / ((double) k * inner));

	return Max(mult, n / mult * mult);
}

/* yy: y = x - c (nb x d, row-major), then at GMM_BLOCK x d on y^2 */
GMM_MULTIARCH_WIDE static void
gmm_gemm_shift_rows(const double *restrict X, const double *restrict c,
					int nb, int d, double *restrict yy)
{
	for (Size r = 0; r < (Size) nb; r++)
	{
		const double *restrict x = X + r * d;
		double	   *restrict yr = yy + r * d;
		double	   *restrict y2r = yr + (Size) GMM_BLOCK * d;

		for (int i = 0; i < d; i++)
		{
			double		v = x[i] - c[i];

			yr[i] = v;
			y2r[i] = v * v;
		}
	}
}

bool
gmm_block_logpdf_gemm(const GmmGemmModel *gm, const GmmPrepared *p,
					  const double *X, int nb, int nbp, double *yy,
					  double *tmp, double *qmin, double *lp)
{
	int			k = gm->k,
				d = gm->d;
	int			rows = gmm_gemm_span(k, d, 1);
	double	   *c1 = tmp,
			   *c2 = tmp + (Size) nb * k;

	gmm_gemm_shift_rows(X, gm->c, nb, d, yy);
	/* c1 = Y2 S^T, c2 = Y (m s)^T: nb x k each, in spans of rows */
	for (int r0 = 0; r0 < nb; r0 += rows)
	{
		int			m = Min(rows, nb - r0);
		const double *y = yy + (Size) r0 * d;

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, d, 1.0,
					y + (Size) GMM_BLOCK * d, d, gm->st, k, 0.0,
					c1 + (Size) r0 * k, k);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, d, 1.0,
					y, d, gm->mst, k, 0.0, c2 + (Size) r0 * k, k);
	}
	/* q into lp, e into c1 */
	for (int r = 0; r < nb; r++)
	{
		double	   *c1r = c1 + (Size) r * k;
		const double *c2r = c2 + (Size) r * k;
		double		m = INFINITY;
		bool		finite = true;

		for (int j = 0; j < k; j++)
		{
			double		q = c1r[j] - 2.0 * c2r[j] + gm->b[j],
						e = c1r[j] + 2.0 * fabs(c2r[j]) + gm->b[j];

			finite &= isfinite(e);
			lp[(Size) j * GMM_BLOCK + r] = q;
			c1r[j] = e;
			m = Min(m, q);
		}
		if (!finite)
			return false;
		qmin[r] = m;
	}
	for (int r = 0; r < nb; r++)
	{
		const double *er = c1 + (Size) r * k;
		bool		ok = true;

		for (int j = 0; j < k; j++)
		{
			double		q = lp[(Size) j * GMM_BLOCK + r];

			ok &= (q - qmin[r] > GMM_GEMM_RELEVANT) ||
				(er[j] <= GMM_GEMM_GROWTH * (Max(q, 0.0) + 1.0));
		}
		if (!ok)
			return false;
	}
	/* the weighted log-densities; padding rows 0 */
	for (int j = 0; j < k; j++)
	{
		double		ln = p->log_norm[j];
		double	   *lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nb; r++)
			lpj[r] = ln - 0.5 * lpj[r];
		for (int r = nb; r < nbp; r++)
			lpj[r] = 0.0;
	}
	return true;
}

void
gmm_block_stats_gemm(const GmmGemmModel *gm, const double *yy,
					 const double *g, int nb, int nbp, double *nk,
					 double *sc, GmmSuff *acc)
{
	int			k = gm->k,
				d = gm->d;
	int			cols = gmm_gemm_span(k, GMM_BLOCK, 8);

	for (int j = 0; j < k; j++)
	{
		nk[j] = gmm_sum_lanes(g + (Size) j * GMM_BLOCK, nbp);
		acc->nk[j] += nk[j];
	}
	/*
	 * sc = [G Y | G Y2], k x 2d, in spans of columns
	 */
	for (int i0 = 0; i0 < d; i0 += cols)
	{
		int			m = Min(cols, d - i0);

		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, m, nb, 1.0,
					g, GMM_BLOCK, yy + i0, d, 0.0, sc + i0, 2 * d);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, m, nb, 1.0,
					g, GMM_BLOCK, yy + (Size) GMM_BLOCK * d + i0, d, 0.0,
					sc + d + i0, 2 * d);
	}
	for (int j = 0; j < k; j++)
	{
		const double *t = gm->t + (Size) j * d;
		const double *a1 = sc + (Size) j * 2 * d;
		const double *a2 = a1 + d;
		double	   *s1 = acc->s1 + (Size) j * d;
		double	   *s2 = acc->s2 + (Size) j * d;
		double		n = nk[j];

		if (n == 0.0)
			continue;
		for (int i = 0; i < d; i++)
		{
			s1[i] += a1[i] + n * t[i];
			s2[i] += a2[i] + t[i] * (2.0 * a1[i] + n * t[i]);
		}
	}
}
