/*
 * kernel/vecmath.h
 *	  Small inline math for the E-step and scoring kernels, written so that
 *	  the compiler vectorises loops that call it: exp and log by range
 *	  reduction and a polynomial (no libm call, no branches), sums and dot
 *	  products with eight independent partial sums (a fixed summation order,
 *	  so results do not depend on the vector width), and the attribute that
 *	  builds hot kernels for several instruction sets.
 *
 * Accuracy: gmm_vexp and gmm_vlog are within a few ulp of libm's exp and log
 * over the ranges they are used on (the E-step needs far less).
 */
#ifndef GMM_VECMATH_H
#define GMM_VECMATH_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Hot kernels are compiled for x86-64-v3 (AVX2, FMA) as well as for the
 * baseline, and glibc picks the best one at load time.  Only with GCC on
 * x86-64 Linux; elsewhere (and for clang's JIT bitcode, or when built with
 * -DGMM_NO_MULTIARCH) the plain function.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
	defined(__linux__) && !defined(GMM_NO_MULTIARCH)
#define GMM_MULTIARCH __attribute__((target_clones("default", "arch=x86-64-v3")))
#define GMM_MULTIARCH_WIDE __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define GMM_MULTIARCH
#define GMM_MULTIARCH_WIDE
#endif

/*
 * Whether the kernels written with GCC vector extensions (gmm_v4 below, four
 * doubles) run on 256-bit registers: built for AVX2 and FMA, or built for
 * several instruction sets and running on a CPU with both.  Without them
 * the compiler splits every 256-bit value into halves kept in memory, which
 * is slower than plain loops, so callers then take their plain paths.
 */
static inline bool
gmm_fast_vectors(void)
{
#if defined(__AVX2__) && defined(__FMA__)
	return true;
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
	defined(__linux__) && !defined(GMM_NO_MULTIARCH)
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return false;
#endif
}

/* rows per block in the E-step kernels: a multiple of 8 */
#define GMM_LANES		8

#define GMM_LOG2E		1.4426950408889634074
#define GMM_LN2_HI		6.93147180369123816490e-01	/* 0x3fe62e42fee00000 */
#define GMM_LN2_LO		1.90821492927058770002e-10
#define GMM_SHIFTER		6755399441055744.0	/* 1.5 * 2^52 */

/* bit patterns of doubles, without aliasing trouble */
static inline uint64_t
gmm_dbits(double x)
{
	uint64_t	b;

	memcpy(&b, &x, sizeof(b));
	return b;
}

static inline double
gmm_bitsd(uint64_t b)
{
	double		x;

	memcpy(&x, &b, sizeof(x));
	return x;
}

/*
 * exp(x) for x <= 709; 0 below -708 (where libm would return a subnormal)
 * and for NaN.  x = n ln2 + r with |r| <= ln2/2, exp(r) by its Taylor
 * polynomial of degree 13, 2^n built in the exponent bits.
 */
static inline double
gmm_vexp(double x)
{
	double		xc = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
	double		t = xc * GMM_LOG2E + GMM_SHIFTER;
	double		n = t - GMM_SHIFTER;
	double		r = (xc - n * GMM_LN2_HI) - n * GMM_LN2_LO;
	double		p;
	double		scale;

	p = 1.0 / 6227020800.0;
	p = p * r + 1.0 / 479001600.0;
	p = p * r + 1.0 / 39916800.0;
	p = p * r + 1.0 / 3628800.0;
	p = p * r + 1.0 / 362880.0;
	p = p * r + 1.0 / 40320.0;
	p = p * r + 1.0 / 5040.0;
	p = p * r + 1.0 / 720.0;
	p = p * r + 1.0 / 120.0;
	p = p * r + 1.0 / 24.0;
	p = p * r + 1.0 / 6.0;
	p = p * r + 0.5;
	p = p * r + 1.0;
	p = p * r + 1.0;
	/* the low bits of t hold n: move them into the exponent field */
	scale = gmm_bitsd((gmm_dbits(t) << 52) + UINT64_C(0x3ff0000000000000));
	return (x >= -708.0) ? p * scale : 0.0;
}

/*
 * log(x) for finite x > 0 of normal size (callers guarantee it): x = 2^e m
 * with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh((m-1)/(m+1)) by its
 * series.
 */
static inline double
gmm_vlog(double x)
{
	uint64_t	b = gmm_dbits(x);
	double		e = gmm_bitsd((b >> 52) | UINT64_C(0x4330000000000000))
		- (4503599627370496.0 + 1023.0);
	double		m = gmm_bitsd((b & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000));
	double		f,
				f2,
				p;

	if (m > 1.4142135623730950488)
	{
		m *= 0.5;
		e += 1.0;
	}
	f = (m - 1.0) / (m + 1.0);
	f2 = f * f;
	p = 1.0 / 23.0;
	p = p * f2 + 1.0 / 21.0;
	p = p * f2 + 1.0 / 19.0;
	p = p * f2 + 1.0 / 17.0;
	p = p * f2 + 1.0 / 15.0;
	p = p * f2 + 1.0 / 13.0;
	p = p * f2 + 1.0 / 11.0;
	p = p * f2 + 1.0 / 9.0;
	p = p * f2 + 1.0 / 7.0;
	p = p * f2 + 1.0 / 5.0;
	p = p * f2 + 1.0 / 3.0;
	p = p * f2;
	return e * GMM_LN2_HI + ((2.0 * f + 2.0 * f * p) + e * GMM_LN2_LO);
}

/*
 * Eight partial sums as two vectors of four (GCC/clang vector extension:
 * pairs of SSE2 registers on the baseline, one AVX register each where the
 * kernel is built for AVX2).  Loads may be unaligned.
 */
#if defined(__GNUC__)
typedef double gmm_v4 __attribute__((vector_size(4 * sizeof(double)),
									  aligned(sizeof(double))));
#define GMM_V4(p)		(*(const gmm_v4 *) (p))
#define GMM_V4_STORE(p, v)	(*(gmm_v4 *) (p) = (v))
#else
#error "gmm needs a compiler with GCC vector extensions (GCC or clang)"
#endif

/*
 * Eight doubles as one value: lanes 0..3 and 4..7 are the lo and hi of the
 * pairs above (two AVX registers where built for AVX2, one AVX-512 register
 * in the kernels also built for x86-64-v4, GMM_MULTIARCH_WIDE), so that the
 * same lane-wise arithmetic gives the same bits on either
 */
typedef double gmm_v8 __attribute__((vector_size(8 * sizeof(double)),
									  aligned(sizeof(double))));
#define GMM_V8(p)		(*(const gmm_v8 *) (p))
#define GMM_V8_STORE(p, v)	(*(gmm_v8 *) (p) = (v))

/* the lanes of lo (0..3) and hi (4..7) summed in a fixed order */
#define GMM_HSUM8(lo, hi) \
	((((lo)[0] + (hi)[0]) + ((lo)[1] + (hi)[1])) + \
	 (((lo)[2] + (hi)[2]) + ((lo)[3] + (hi)[3])))

/* the lanes of a gmm_v8 summed in the order of GMM_HSUM8 */
#define GMM_HSUM_V8(v) \
	((((v)[0] + (v)[4]) + ((v)[1] + (v)[5])) + \
	 (((v)[2] + (v)[6]) + ((v)[3] + (v)[7])))

/* sum of a[0..n-1], n a multiple of GMM_LANES */
static inline double
gmm_sum_lanes(const double *a, int n)
{
	gmm_v4		lo = {0},
				hi = {0};

	for (const double *end = a + n; a < end; a += GMM_LANES)
	{
		lo += GMM_V4(a);
		hi += GMM_V4(a + 4);
	}
	return GMM_HSUM8(lo, hi);
}

/* sum of a[i] * b[i], n a multiple of GMM_LANES */
static inline double
gmm_dot_lanes(const double *a, const double *b, int n)
{
	gmm_v4		lo = {0},
				hi = {0};

	for (const double *end = a + n; a < end; a += GMM_LANES, b += GMM_LANES)
	{
		lo += GMM_V4(a) * GMM_V4(b);
		hi += GMM_V4(a + 4) * GMM_V4(b + 4);
	}
	return GMM_HSUM8(lo, hi);
}

/* sum of squares of v[0..n-1], any n */
static inline double
gmm_sumsq_any(const double *v, int n)
{
	gmm_v4		lo = {0},
				hi = {0};
	double		s;
	const double *end = v + n;

	for (; v + GMM_LANES <= end; v += GMM_LANES)
	{
		lo += GMM_V4(v) * GMM_V4(v);
		hi += GMM_V4(v + 4) * GMM_V4(v + 4);
	}
	s = GMM_HSUM8(lo, hi);
	for (; v < end; v++)
		s += *v * *v;
	return s;
}

#endif							/* GMM_VECMATH_H */
