/*
 * kernel/estep_blocks.c
 *	  The blocked E-step (see estep.h).  Each block of GMM_BLOCK rows goes
 *	  through three stages, written as loops across the rows of the block:
 *	   1. weighted log-densities lp[j][r] of every component: on the block
 *		  transposed (one dimension per row of xt; estep_diag.c), a forward substitution
 *		  against the Cholesky factor, eight rows and four dimensions at a
 *		  time in vector registers, or one pass over the dimensions for
 *		  diag/spherical models (estep_diag.c); from
 *		  GMM_BLAS_MIN_D dimensions on, a
 *		  triangular solve with many right-hand sides (cblas_dtrsm); diag/
 *		  spherical models from GMM_GEMM_MIN_D dimensions and GMM_GEMM_MIN_K
 *		  components on in the expanded form, as matrix products
 *		  (cblas_dgemm, estep_gemm.c), unless that could lose precision on
 *		  the block;
 *	   2. responsibilities by a vectorised log-sum-exp over the components,
 *		  in place;
 *	   3. the shifted statistics: sums of g (x - c) and g (x - c)(x - c)^T
 *		  as dot products across rows (2 x 2 tiles of the triangle), or a
 *		  rank-k update (cblas_dsyrk) from GMM_BLAS_MIN_D dimensions on; for
 *		  a diag block whose log-densities went through cblas_dgemm, two more
 *		  products and a change of shift (estep_gemm.c).
 *	  Sums across rows keep eight partial sums added in a fixed order.
 *	  Threads run blocks with their own buffers, doing pure arithmetic;
 *	  nothing here calls PostgreSQL except in the set-up and merge done by
 *	  the calling thread.
 *
 *	  Every block's statistics start from zero in a buffer of their own,
 *	  and are added to the caller's in block order, so that the result has
 *	  the same bits whatever the number of threads (gmm.threads,
 *	  max_parallel_workers_per_gather) and however blocks fall to threads.
 *	  The blocks go in chunks whose partial statistics together take at
 *	  most GMM_PARTIAL_BYTES (or one per thread, when a single one is
 *	  larger), each chunk added up before the next one starts.
 */
#include "postgres.h"

/* let comparisons and sqrt be vectorised; values are not affected */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-trapping-math", "no-math-errno")
#endif

#include <math.h>
#include <cblas.h>

#include "kernel/estep.h"
#include "kernel/estep_diag.h"
#include "kernel/estep_gemm.h"
#include "kernel/threads.h"
#include "kernel/vecmath.h"

/*
 * full/tied models of at least this dimension go through BLAS (below it the
 * register-blocked loops here are faster: measured up to d = 256)
 */
#define GMM_BLAS_MIN_D		512
/* memory for the per-block partial statistics of one chunk of blocks */
#define GMM_PARTIAL_BYTES	(1024 * 1024)

/* one thread's buffers */
typedef struct GmmScratch
{
	double	   *xt;				/* d x GMM_BLOCK: the block transposed */
	double	   *z;				/* d x GMM_BLOCK, or GMM_BLOCK x d */
	double	   *y;				/* d x GMM_BLOCK, or GMM_BLOCK x d */
	double	   *lp;				/* k x GMM_BLOCK: log-densities, then g */
	double	   *q;				/* GMM_BLOCK, or d x GMM_LANES */
	double	   *mx;				/* GMM_BLOCK */
	double	   *ssum;			/* GMM_BLOCK */
	double	   *wv;				/* GMM_BLOCK: row weights */
	double	   *llw;			/* GMM_BLOCK: weighted log-likelihoods */
	double	   *sq;				/* d x d for BLAS, else unused */
	double	   *s1;				/* d */
	double	   *nk;				/* k */
	double	   *gt;				/* 2 k x GMM_BLOCK, diag through BLAS */
	double	   *gy;				/* GMM_BLOCK x 2d, diag through BLAS */
	double	   *gs;				/* k x 2d, diag through BLAS */
	GmmSuff    *acc;			/* the statistics of the block being run */
} GmmScratch;

typedef struct GmmBlockJob
{
	const GmmPrepared *p;
	const double *X;
	const double *w;
	const double *shift;
	int			n;
	int			use_blas;
	double	   *rinv;			/* 1 / L_ii of each factor (small full) */
	GmmGemmModel *gemm;			/* diag/spherical through BLAS, or NULL */
	int			first;			/* first block of the chunk being run */
	GmmSuff   **part;			/* statistics of each block of the chunk */
	GmmScratch	sc[GMM_MAX_THREADS];
} GmmBlockJob;

/*
 * lp[j][r] for full/tied covariances, on the transposed block: forward
 * substitution vectorised across rows, eight rows at a time with four
 * dimensions in registers (z is a d x 8 scratch for the solved values).
 */
GMM_MULTIARCH static void
gmm_block_logpdf_small(const GmmPrepared *p, const double *rinv,
					   const double *restrict xt, double *restrict z,
					   double *restrict lp, int nbp)
{
	int			k = p->k,
				d = p->d;
	int			rstride = (p->chol_stride == 0) ? 0 : d;

	for (int j = 0; j < k; j++)
	{
		const double *mu = p->means + (Size) j * d;
		const double *L = p->chol + j * p->chol_stride;
		const double *ri = rinv + (Size) j * rstride;
		double		ln = p->log_norm[j];
		double	   *lpj = lp + (Size) j * GMM_BLOCK;

		for (int r0 = 0; r0 < nbp; r0 += GMM_LANES)
		{
			const double *x = xt + r0;
			gmm_v4		ql = {0},
						qh = {0};
			int			i = 0;

			for (; i + 4 <= d; i += 4)
			{
				const double *L0 = L + (Size) i * d,
						   *L1 = L0 + d,
						   *L2 = L1 + d,
						   *L3 = L2 + d;
				const double *x0 = x + (Size) i * GMM_BLOCK;
				gmm_v4		a0l = GMM_V4(x0) - mu[i],
							a0h = GMM_V4(x0 + 4) - mu[i],
							a1l = GMM_V4(x0 + GMM_BLOCK) - mu[i + 1],
							a1h = GMM_V4(x0 + GMM_BLOCK + 4) - mu[i + 1],
							a2l = GMM_V4(x0 + 2 * GMM_BLOCK) - mu[i + 2],
							a2h = GMM_V4(x0 + 2 * GMM_BLOCK + 4) - mu[i + 2],
							a3l = GMM_V4(x0 + 3 * GMM_BLOCK) - mu[i + 3],
							a3h = GMM_V4(x0 + 3 * GMM_BLOCK + 4) - mu[i + 3];

				for (int t = 0; t < i; t++)
				{
					gmm_v4		zl = GMM_V4(z + t * GMM_LANES),
								zh = GMM_V4(z + t * GMM_LANES + 4);

					a0l -= L0[t] * zl;
					a0h -= L0[t] * zh;
					a1l -= L1[t] * zl;
					a1h -= L1[t] * zh;
					a2l -= L2[t] * zl;
					a2h -= L2[t] * zh;
					a3l -= L3[t] * zl;
					a3h -= L3[t] * zh;
				}
				/* the 4 x 4 diagonal block of L */
				a0l *= ri[i];
				a0h *= ri[i];
				a1l -= L1[i] * a0l;
				a1h -= L1[i] * a0h;
				a1l *= ri[i + 1];
				a1h *= ri[i + 1];
				a2l -= L2[i] * a0l;
				a2h -= L2[i] * a0h;
				a2l -= L2[i + 1] * a1l;
				a2h -= L2[i + 1] * a1h;
				a2l *= ri[i + 2];
				a2h *= ri[i + 2];
				a3l -= L3[i] * a0l;
				a3h -= L3[i] * a0h;
				a3l -= L3[i + 1] * a1l;
				a3h -= L3[i + 1] * a1h;
				a3l -= L3[i + 2] * a2l;
				a3h -= L3[i + 2] * a2h;
				a3l *= ri[i + 3];
				a3h *= ri[i + 3];
				GMM_V4_STORE(z + i * GMM_LANES, a0l);
				GMM_V4_STORE(z + i * GMM_LANES + 4, a0h);
				GMM_V4_STORE(z + (i + 1) * GMM_LANES, a1l);
				GMM_V4_STORE(z + (i + 1) * GMM_LANES + 4, a1h);
				GMM_V4_STORE(z + (i + 2) * GMM_LANES, a2l);
				GMM_V4_STORE(z + (i + 2) * GMM_LANES + 4, a2h);
				GMM_V4_STORE(z + (i + 3) * GMM_LANES, a3l);
				GMM_V4_STORE(z + (i + 3) * GMM_LANES + 4, a3h);
				ql += a0l * a0l;
				qh += a0h * a0h;
				ql += a1l * a1l;
				qh += a1h * a1h;
				ql += a2l * a2l;
				qh += a2h * a2h;
				ql += a3l * a3l;
				qh += a3h * a3h;
			}
			for (; i < d; i++)
			{
				const double *Li = L + (Size) i * d;
				const double *xi = x + (Size) i * GMM_BLOCK;
				gmm_v4		al = GMM_V4(xi) - mu[i],
							ah = GMM_V4(xi + 4) - mu[i];

				for (int t = 0; t < i; t++)
				{
					al -= Li[t] * GMM_V4(z + t * GMM_LANES);
					ah -= Li[t] * GMM_V4(z + t * GMM_LANES + 4);
				}
				al *= ri[i];
				ah *= ri[i];
				GMM_V4_STORE(z + i * GMM_LANES, al);
				GMM_V4_STORE(z + i * GMM_LANES + 4, ah);
				ql += al * al;
				qh += ah * ah;
			}
			GMM_V4_STORE(lpj + r0, ln - 0.5 * ql);
			GMM_V4_STORE(lpj + r0 + 4, ln - 0.5 * qh);
		}
	}
}

/* lp[j][r] for full/tied covariances through BLAS, on the row-major block */
static void
gmm_block_logpdf_blas(const GmmPrepared *p, const double *restrict X, int nb,
					  int nbp, double *restrict dm, double *restrict lp)
{
	int			k = p->k,
				d = p->d;

	for (int j = 0; j < k; j++)
	{
		const double *mu = p->means + (Size) j * d;
		double	   *lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nb; r++)
			for (int i = 0; i < d; i++)
				dm[(Size) r * d + i] = X[(Size) r * d + i] - mu[i];
		/* rows z_r = L^-1 (x_r - mu), i.e. Z L^T = D */
		cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans,
					CblasNonUnit, nb, d, 1.0, p->chol + j * p->chol_stride, d,
					dm, d);
		for (int r = 0; r < nb; r++)
			lpj[r] = p->log_norm[j] - 0.5 * gmm_sumsq_any(dm + (Size) r * d, d);
		for (int r = nb; r < nbp; r++)
			lpj[r] = 0.0;
	}
}

/*
 * Responsibilities in place of the log-densities: g[j][r] = w_r p(j | x_r);
 * adds the block's total weight and weighted log-likelihood to acc.
 */
GMM_MULTIARCH static void
gmm_block_resp(GmmScratch *sc, int k, int nbp)
{
	double	   *restrict lp = sc->lp;
	double	   *restrict mx = sc->mx;
	double	   *restrict ssum = sc->ssum;
	const double *restrict wv = sc->wv;
	double	   *restrict llw = sc->llw;

	/*
	 * A NaN log-density comes from |z|^2 overflowing into 0 * inf or inf -
	 * inf: the component is astronomically far, its density is 0
	 */
	for (int j = 0; j < k; j++)
	{
		double	   *restrict lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nbp; r++)
			lpj[r] = isnan(lpj[r]) ? -INFINITY : lpj[r];
	}
	for (int r = 0; r < nbp; r++)
	{
		mx[r] = lp[r];
		ssum[r] = 0.0;
	}
	for (int j = 1; j < k; j++)
	{
		const double *restrict lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nbp; r++)
			mx[r] = (lpj[r] > mx[r]) ? lpj[r] : mx[r];
	}
	for (int j = 0; j < k; j++)
	{
		double	   *restrict lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nbp; r++)
		{
			/* NaN (all components -inf) gives 0 */
			double		e = gmm_vexp(lpj[r] - mx[r]);

			lpj[r] = e;
			ssum[r] += e;
		}
	}
	for (int r = 0; r < nbp; r++)
	{
		double		s = ssum[r];
		double		ll = mx[r] + gmm_vlog(s > 0.0 ? s : 1.0);

		llw[r] = (wv[r] != 0.0) ? wv[r] * ll : 0.0;
		ssum[r] = (s > 0.0) ? wv[r] / s : 0.0;
	}
	for (int j = 0; j < k; j++)
	{
		double	   *restrict lpj = lp + (Size) j * GMM_BLOCK;

		for (int r = 0; r < nbp; r++)
			lpj[r] *= ssum[r];
	}
	sc->acc->sum_w += gmm_sum_lanes(wv, nbp);
	sc->acc->sum_ll += gmm_sum_lanes(llw, nbp);
}

/* Statistics of full/tied components on the transposed block */
GMM_MULTIARCH static void
gmm_block_stats_small(GmmScratch *sc, const double *shift, int k, int d,
					  int nbp)
{
	GmmSuff    *acc = sc->acc;
	Size		s2n = (Size) d * (d + 1) / 2;
	double	   *restrict dd = sc->z;
	double	   *restrict gd = sc->y;

	for (int j = 0; j < k; j++)
	{
		const double *restrict g = sc->lp + (Size) j * GMM_BLOCK;
		const double *c = shift + (Size) j * d;
		double	   *s1 = acc->s1 + (Size) j * d;
		double	   *s2 = acc->s2 + (Size) j * s2n;
		double		nkj = gmm_sum_lanes(g, nbp);

		if (nkj == 0.0)
			continue;
		acc->nk[j] += nkj;
		for (int i = 0; i < d; i++)
		{
			const double *restrict xi = sc->xt + (Size) i * GMM_BLOCK;
			double	   *restrict di = dd + (Size) i * GMM_BLOCK;
			double	   *restrict gi = gd + (Size) i * GMM_BLOCK;
			double		ci = c[i];

			for (int r = 0; r < nbp; r++)
			{
				double		v = xi[r] - ci;

				di[r] = v;
				gi[r] = g[r] * v;
			}
		}
		for (int i = 0; i < d; i++)
			s1[i] += gmm_sum_lanes(gd + (Size) i * GMM_BLOCK, nbp);
		/* s2 in 2 x 2 tiles (i, t), t <= i, eight lanes per pair */
		for (int i = 0; i < d; i += 2)
		{
			int			i1 = Min(i + 1, d - 1);
			const double *g0 = gd + (Size) i * GMM_BLOCK,
					   *g1 = gd + (Size) i1 * GMM_BLOCK;
			double	   *row0 = s2 + (Size) i * (i + 1) / 2,
					   *row1 = s2 + (Size) i1 * (i1 + 1) / 2;

			for (int t = 0; t <= i; t += 2)
			{
				int			t1 = Min(t + 1, d - 1);
				const double *d0 = dd + (Size) t * GMM_BLOCK,
						   *d1 = dd + (Size) t1 * GMM_BLOCK;
				gmm_v4		a00l = {0},
							a00h = {0},
							a01l = {0},
							a01h = {0},
							a10l = {0},
							a10h = {0},
							a11l = {0},
							a11h = {0};

				for (int r = 0; r < nbp; r += GMM_LANES)
				{
					gmm_v4		g0l = GMM_V4(g0 + r),
								g0h = GMM_V4(g0 + r + 4),
								g1l = GMM_V4(g1 + r),
								g1h = GMM_V4(g1 + r + 4),
								d0l = GMM_V4(d0 + r),
								d0h = GMM_V4(d0 + r + 4),
								d1l = GMM_V4(d1 + r),
								d1h = GMM_V4(d1 + r + 4);

					a00l += g0l * d0l;
					a00h += g0h * d0h;
					a01l += g0l * d1l;
					a01h += g0h * d1h;
					a10l += g1l * d0l;
					a10h += g1h * d0h;
					a11l += g1l * d1l;
					a11h += g1h * d1h;
				}
				row0[t] += GMM_HSUM8(a00l, a00h);
				if (t + 1 <= i)
					row0[t + 1] += GMM_HSUM8(a01l, a01h);
				if (i + 1 < d)
				{
					row1[t] += GMM_HSUM8(a10l, a10h);
					if (t + 1 < d)
						row1[t + 1] += GMM_HSUM8(a11l, a11h);
				}
			}
		}
	}
}

/* y = sqrt(g) (x - c) and s1 = sum g (x - c) for one component, row-major */
GMM_MULTIARCH static void
gmm_block_weigh_rows(const double *restrict X, const double *restrict g,
					 const double *restrict c, int nb, int d,
					 double *restrict y, double *restrict s1)
{
	for (int i = 0; i < d; i++)
		s1[i] = 0.0;
	for (int r = 0; r < nb; r++)
	{
		const double *restrict x = X + (Size) r * d;
		double	   *restrict yr = y + (Size) r * d;
		double		gr = g[r],
					sg = sqrt(gr);

		for (int i = 0; i < d; i++)
		{
			double		v = x[i] - c[i];

			yr[i] = sg * v;
			s1[i] += gr * v;
		}
	}
}

/* Statistics of full/tied components through BLAS, on the row-major block */
static void
gmm_block_stats_blas(GmmScratch *sc, const double *shift, const double *X,
					 int k, int d, int nb, int nbp)
{
	GmmSuff    *acc = sc->acc;
	Size		s2n = (Size) d * (d + 1) / 2;

	for (int j = 0; j < k; j++)
	{
		const double *g = sc->lp + (Size) j * GMM_BLOCK;
		double	   *s1 = acc->s1 + (Size) j * d;
		double	   *s2 = acc->s2 + (Size) j * s2n;
		double		nkj = gmm_sum_lanes(g, nbp);

		if (nkj == 0.0)
			continue;
		acc->nk[j] += nkj;
		gmm_block_weigh_rows(X, g, shift + (Size) j * d, nb, d, sc->y, sc->s1);
		for (int i = 0; i < d; i++)
			s1[i] += sc->s1[i];
		/* lower triangle of Y^T Y */
		cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, d, nb, 1.0,
					sc->y, d, 0.0, sc->sq, d);
		for (int i = 0; i < d; i++)
		{
			const double *src = sc->sq + (Size) i * d;
			double	   *row = s2 + (Size) i * (i + 1) / 2;

			for (int t = 0; t <= i; t++)
				row[t] += src[t];
		}
	}
}

/*
 * One block of the chunk, into its own zeroed statistics: a GmmBlockFn for
 * gmm_run_blocks
 */
static void
gmm_block_run(void *arg, int tid, int cblock)
{
	GmmBlockJob *job = (GmmBlockJob *) arg;
	GmmScratch *sc = &job->sc[tid];
	const GmmPrepared *p = job->p;
	int			k = p->k,
				d = p->d;
	int			block = job->first + cblock;
	int			r0 = block * GMM_BLOCK;
	int			nb = Min(GMM_BLOCK, job->n - r0);
	int			nbp = (nb + GMM_LANES - 1) / GMM_LANES * GMM_LANES;
	const double *X = job->X + (Size) r0 * d;

	sc->acc = job->part[cblock];
	gmm_suff_reset(sc->acc);
	for (int r = 0; r < nbp; r++)
		sc->wv[r] = (r >= nb) ? 0.0 : (job->w ? job->w[r0 + r] : 1.0);

	if (job->use_blas)
	{
		gmm_block_logpdf_blas(p, X, nb, nbp, sc->z, sc->lp);
		gmm_block_resp(sc, k, nbp);
		gmm_block_stats_blas(sc, job->shift, X, k, d, nb, nbp);
		return;
	}
	if (job->gemm != NULL &&
		gmm_block_logpdf_gemm(job->gemm, p, X, nb, nbp, sc->gy, sc->gt,
							  sc->mx, sc->lp))
	{
		gmm_block_resp(sc, k, nbp);
		gmm_block_stats_gemm(job->gemm, sc->gy, sc->lp, nb, nbp, sc->nk,
							 sc->gs, sc->acc);
		return;
	}
	gmm_block_transpose(X, nb, nbp, d, sc->xt);
	if (p->chol != NULL)
		gmm_block_logpdf_small(p, job->rinv, sc->xt, sc->q, sc->lp, nbp);
	else
		gmm_block_logpdf_diag(p, sc->xt, sc->lp, nbp);
	gmm_block_resp(sc, k, nbp);
	if (p->chol != NULL)
		gmm_block_stats_small(sc, job->shift, k, d, nbp);
	else
		gmm_block_stats_diag(sc->xt, sc->lp, job->shift, k, d, nbp, sc->nk, sc->acc);
}

/* Blocked, threaded E-step: adds the statistics of n rows to s */
void
gmm_estep_blocks(const GmmPrepared *p, const double *X, const double *w,
				 int n, GmmSuff *s)
{
	int			k = p->k,
				d = p->d;
	int			nblocks = (n + GMM_BLOCK - 1) / GMM_BLOCK;
	bool		full = (p->chol != NULL);
	double		per_row;
	int			nthreads,
				chunk;
	Size		part_bytes;
	GmmBlockJob *job = palloc0(sizeof(GmmBlockJob));

	job->p = p;
	job->X = X;
	job->w = w;
	job->shift = s->shift;
	job->n = n;
	job->use_blas = full && d >= GMM_BLAS_MIN_D;
	job->gemm = (!full && d >= GMM_GEMM_MIN_D && k >= GMM_GEMM_MIN_K)
		? gmm_gemm_prepare(p, s->shift) : NULL;

	/* reciprocals of the factors' diagonals */
	if (full && !job->use_blas)
	{
		int			nmat = (p->chol_stride == 0) ? 1 : k;

		job->rinv = palloc(sizeof(double) * nmat * d);
		for (int j = 0; j < nmat; j++)
			for (int i = 0; i < d; i++)
				job->rinv[(Size) j * d + i] =
					1.0 / p->chol[j * p->chol_stride + (Size) i * d + i];
	}

	per_row = full ? (double) k * (2.0 * d * d + 6.0 * d + 30.0)
		: (double) k * (8.0 * d + 30.0);
	nthreads = gmm_thread_count(per_row * n);
	nthreads = Min(nthreads, nblocks);

	for (int t = 0; t < nthreads; t++)
	{
		GmmScratch *sc = &job->sc[t];
		Size		dblk = mul_size(d, GMM_BLOCK);

		sc->xt = job->use_blas ? NULL : palloc(sizeof(double) * dblk);
		sc->z = palloc(sizeof(double) * dblk);
		sc->y = palloc(sizeof(double) * dblk);
		sc->lp = palloc(mul_size(sizeof(double), mul_size(k, GMM_BLOCK)));
		sc->q = palloc(sizeof(double) * Max(GMM_BLOCK, d * GMM_LANES));
		sc->mx = palloc(sizeof(double) * GMM_BLOCK);
		sc->ssum = palloc(sizeof(double) * GMM_BLOCK);
		sc->wv = palloc(sizeof(double) * GMM_BLOCK);
		sc->llw = palloc(sizeof(double) * GMM_BLOCK);
		sc->sq = job->use_blas ? palloc(mul_size(sizeof(double), mul_size(d, d))) : NULL;
		sc->s1 = palloc(sizeof(double) * d);
		sc->nk = palloc(sizeof(double) * k);
		if (job->gemm)
		{
			sc->gt = palloc(mul_size(sizeof(double), mul_size(2 * k, GMM_BLOCK)));
			sc->gy = palloc(mul_size(sizeof(double), mul_size(2 * d, GMM_BLOCK)));
			sc->gs = palloc(mul_size(sizeof(double), mul_size(2 * k, d)));
		}
	}

	/* blocks per chunk: all partial statistics within GMM_PARTIAL_BYTES */
	part_bytes = sizeof(double) * (2 + (Size) k * (1 + d + gmm_s2_count(s->cov_type, d)));
	chunk = (int) Min((Size) nblocks, Max((Size) nthreads, GMM_PARTIAL_BYTES / part_bytes));
	job->part = palloc(sizeof(GmmSuff *) * chunk);
	for (int b = 0; b < chunk; b++)
		job->part[b] = gmm_suff_alloc(s->cov_type, k, d, s->shift);

	for (job->first = 0; job->first < nblocks; job->first += chunk)
	{
		int			nb = Min(chunk, nblocks - job->first);

		gmm_run_blocks(nthreads, nb, gmm_block_run, job);
		for (int b = 0; b < nb; b++)
			gmm_suff_merge(s, job->part[b]);
	}

	for (int b = 0; b < chunk; b++)
		gmm_suff_free(job->part[b]);
	pfree(job->part);
	for (int t = 0; t < nthreads; t++)
	{
		GmmScratch *sc = &job->sc[t];

		if (sc->xt)
			pfree(sc->xt);
		pfree(sc->z);
		pfree(sc->y);
		pfree(sc->lp);
		pfree(sc->q);
		pfree(sc->mx);
		pfree(sc->ssum);
		pfree(sc->wv);
		pfree(sc->llw);
		if (sc->sq)
			pfree(sc->sq);
		pfree(sc->s1);
		pfree(sc->nk);
		if (job->gemm)
		{
			pfree(sc->gt);
			pfree(sc->gy);
			pfree(sc->gs);
		}
	}
	if (job->gemm)
		gmm_gemm_free(job->gemm);
	if (job->rinv)
		pfree(job->rinv);
	pfree(job);
}
