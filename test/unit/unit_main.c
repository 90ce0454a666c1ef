/*
 * unit_main.c
 *	  Runs the kernel unit tests (test_*.c) without a server: each test in a
 *	  fresh memory context with its own error catcher, printing "ok name" or
 *	  "FAILED name: first failure" and, last, "N passed, M failed".  Exit
 *	  status 1 if any test failed.  An argument runs only the tests whose
 *	  name contains it.  GMM_UNIT_VERBOSE=1 prints every failure and the
 *	  NOTICEs the kernels raise.
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "miscadmin.h"

#include "unit.h"

#define UNIT_MAX_TESTS 256

static struct
{
	const char *name;
	UnitFn		fn;
	const char *file;
}			tests[UNIT_MAX_TESTS];
static int	n_tests = 0;

/* failures of the running test, and the first one's text */
static int	cur_failures;
static char cur_first[1024];

/* Register a test (before main, from UNIT_TEST's constructor) */
void
unit_register(const char *name, UnitFn fn, const char *file)
{
	if (n_tests == UNIT_MAX_TESTS)
	{
		fprintf(stderr, "unit_main: more than %d tests\n", UNIT_MAX_TESTS);
		exit(2);
	}
	tests[n_tests].name = name;
	tests[n_tests].fn = fn;
	tests[n_tests].file = file;
	n_tests++;
}

/* Record a failure of the running test */
void
unit_fail(const char *file, int line, const char *fmt,...)
{
	char		msg[900];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cur_failures == 0)
		snprintf(cur_first, sizeof(cur_first), "%s:%d: %s", file, line, msg);
	if (getenv("GMM_UNIT_VERBOSE") != NULL)
		printf("    %s:%d: %s\n", file, line, msg);
	cur_failures++;
}

/* |a - b| <= rel * max(|a|, |b|, 1); NaNs are equal only to NaNs */
bool
unit_close(double a, double b, double rel)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (a == b)
		return true;
	return fabs(a - b) <= rel * Max(Max(fabs(a), fabs(b)), 1.0);
}

/* max|a - b| <= rel * max(max|a|, max|b|, 1) */
bool
unit_arrays_close(const double *a, const double *b, Size n, double rel)
{
	double		diff = 0.0,
				scale = 1.0;

	for (Size i = 0; i < n; i++)
	{
		if (isnan(a[i]) || isnan(b[i]))
			return false;
		diff = Max(diff, fabs(a[i] - b[i]));
		scale = Max(scale, Max(fabs(a[i]), fabs(b[i])));
	}
	return diff <= rel * scale;
}

/* n x d values uniform in [-1, 1) */
void
unit_uniform(double *X, int64 n, int d, uint64 seed)
{
	pg_prng_state rng;

	pg_prng_seed(&rng, seed);
	for (int64 i = 0; i < n * d; i++)
		X[i] = 2.0 * pg_prng_double(&rng) - 1.0;
}

/* n x d rows, row i around centre i % k, Gaussian noise (Box-Muller) of sd */
void
unit_blobs(double *X, int64 n, int d, int k, const double *centres,
		   double sd, uint64 seed)
{
	pg_prng_state rng;

	pg_prng_seed(&rng, seed);
	for (int64 i = 0; i < n; i++)
		for (int c = 0; c < d; c++)
		{
			double		u1 = 1.0 - pg_prng_double(&rng);	/* (0, 1] */
			double		u2 = pg_prng_double(&rng);

			X[i * d + c] = centres[(i % k) * d + c] +
				sd * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		}
}

/* Run one test; returns true if it passed */
static bool
run_test(int t, MemoryContext top, double *ms)
{
	MemoryContext cxt = AllocSetContextCreate(top, "unit test",
											  ALLOCSET_DEFAULT_SIZES);
	sigjmp_buf	jb;
	struct timespec t0,
				t1;

	cur_failures = 0;
	cur_first[0] = '\0';
	InterruptPending = false;
	unit_cancel_at = 0;
	CurrentMemoryContext = cxt;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sigsetjmp(jb, 0) == 0)
	{
		PG_exception_stack = &jb;
		tests[t].fn();
	}
	else
		unit_fail(tests[t].file, 0, "unexpected ERROR %s: %s",
				  unit_sqlstate(unit_last_sqlerrcode), unit_last_errmsg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	PG_exception_stack = NULL;
	CurrentMemoryContext = top;
	MemoryContextDelete(cxt);
	*ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	return cur_failures == 0;
}

int
main(int argc, char **argv)
{
	MemoryContext top = AllocSetContextCreate(NULL, "unit tests",
											  ALLOCSET_DEFAULT_SIZES);
	int			passed = 0,
				failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int t = 0; t < n_tests; t++)
	{
		double		ms;

		if (argc > 1 && strstr(tests[t].name, argv[1]) == NULL)
			continue;
		if (run_test(t, top, &ms))
		{
			printf("ok %-44s %8.1f ms\n", tests[t].name, ms);
			passed++;
		}
		else
		{
			printf("FAILED %s (%d failure%s): %s\n", tests[t].name, cur_failures,
				   cur_failures == 1 ? "" : "s", cur_first);
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0 ? 1 : 0;
}
