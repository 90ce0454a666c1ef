/*
 * bench/machine.c
 *	  The machine's own limits, measured by the benchmark in the same run as
 *	  the cases they are compared with (built by bench.py into bench/out with
 *	  -O3 -march=native -fopenmp and OpenBLAS):
 *
 *	  machine bw BYTES REPS THREADS
 *		read bandwidth: the fastest time of one pass summing an array of
 *		BYTES bytes of float8 (the size of a case's rows), split over
 *		THREADS OpenMP threads; prints "bw <seconds> <GB/s>"
 *	  machine dgemm N REPS THREADS
 *		OpenBLAS dgemm C = A B of N x N matrices with THREADS threads, the
 *		fastest of REPS; prints "dgemm <seconds> <GFLOP/s>" (2 N^3 flops per product)
 */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void openblas_set_num_threads(int);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* the fastest of n times: a limit of the machine, which load only hides */
static double
fastest(double *t, int n)
{
	qsort(t, n, sizeof(double), cmp_double);
	return t[0];
}

/* one read pass over a (n a multiple of 32), 32 independent sums per thread */
static double
read_pass(const double *a, size_t n)
{
	double		total = 0.0;

#pragma omp parallel reduction(+:total)
	{
		double		acc[32] = {0};

#pragma omp for schedule(static)
		for (size_t b = 0; b < n / 32; b++)
			for (int j = 0; j < 32; j++)
				acc[j] += a[b * 32 + j];
		for (int j = 0; j < 32; j++)
			total += acc[j];
	}
	return total;
}

int
main(int argc, char **argv)
{
	int			reps,
				threads;
	double	   *t;

	if (argc != 5)
	{
		fprintf(stderr, "usage: machine bw BYTES REPS THREADS | dgemm N REPS THREADS\n");
		return 2;
	}
	reps = atoi(argv[3]);
	threads = atoi(argv[4]);
	if (reps < 1)
		reps = 1;
	t = malloc(sizeof(double) * reps);
	if (strcmp(argv[1], "bw") == 0)
	{
		size_t		n = (size_t) atoll(argv[2]) / 8 / 32 * 32;
		double	   *a = malloc(n * sizeof(double));
		double		sink = 0.0;

		omp_set_num_threads(threads);
		/* first touch by the threads that read it */
#pragma omp parallel for schedule(static)
		for (size_t i = 0; i < n / 32; i++)
			for (int j = 0; j < 32; j++)
				a[i * 32 + j] = (double) (i & 1023);
		sink += read_pass(a, n);
		for (int r = 0; r < reps; r++)
		{
			double		t0 = now();

			sink += read_pass(a, n);
			t[r] = now() - t0;
		}
		double		m = fastest(t, reps);

		printf("bw %.6f %.3f %g\n", m, n * 8.0 / m / 1e9, sink > 0 ? 1.0 : 0.0);
		free(a);
	}
	else if (strcmp(argv[1], "dgemm") == 0)
	{
		int			n = atoi(argv[2]);
		size_t		nn = (size_t) n * n;
		double	   *a = malloc(nn * sizeof(double)),
				   *b = malloc(nn * sizeof(double)),
				   *c = malloc(nn * sizeof(double));

		openblas_set_num_threads(threads);
		for (size_t i = 0; i < nn; i++)
		{
			a[i] = (double) (i % 97) / 97.0;
			b[i] = (double) (i % 89) / 89.0;
		}
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0,
					a, n, b, n, 0.0, c, n);
		for (int r = 0; r < reps; r++)
		{
			double		t0 = now();

			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0,
						a, n, b, n, 0.0, c, n);
			t[r] = now() - t0;
		}
		double		m = fastest(t, reps);

		printf("dgemm %.6f %.3f\n", m, 2.0 * n * n * (double) n / m / 1e9);
		free(a);
		free(b);
		free(c);
	}
	else
	{
		fprintf(stderr, "machine: unknown measurement %s\n", argv[1]);
		return 2;
	}
	free(t);
	return 0;
}
