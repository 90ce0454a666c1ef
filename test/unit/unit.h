/*
 * unit.h
 *	  The kernel unit-test harness: test registration, checks that record a
 *	  failure and go on, an error catcher for ereport(ERROR), and
 *	  deterministic test data.  The kernels are linked with pg_stub.c in
 *	  place of the backend, so no server runs.
 *
 * A test is a function declared with UNIT_TEST(name) { ... } in any
 * test_*.c file; unit_main.c runs every test in a fresh memory context and
 * prints "ok name" or "FAILED name: first failure", then "N passed, M failed".
 */
#ifndef GMM_UNIT_H
#define GMM_UNIT_H

#include "postgres.h"

#include <math.h>
#include <setjmp.h>

#include "common/pg_prng.h"
#include "utils/memutils.h"

typedef void (*UnitFn) (void);

/* register a test (called before main by UNIT_TEST's constructor) */
extern void unit_register(const char *name, UnitFn fn, const char *file);

#define UNIT_TEST(name) \
	static void name(void); \
	static void __attribute__((constructor)) name##_register(void) \
	{ unit_register(#name, name, __FILE__); } \
	static void name(void)

/* record a failure of the running test (file:line and a message) */
extern void unit_fail(const char *file, int line, const char *fmt,...) pg_attribute_printf(3, 4);

/* checks: on failure, record it and continue with the test */
#define UNIT_CHECK(cond, ...) \
	do { if (!(cond)) unit_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* |a - b| <= rel * max(|a|, |b|, 1) */
extern bool unit_close(double a, double b, double rel);

#define UNIT_CLOSE(a, b, rel) \
	do { double a_ = (a), b_ = (b); \
		if (!unit_close(a_, b_, (rel))) \
			unit_fail(__FILE__, __LINE__, "%s = %.17g, expected %s = %.17g (rel %g)", \
					  #a, a_, #b, b_, (double) (rel)); } while (0)

/* max|a - b| <= rel * max(max|a|, max|b|, 1) over n values (norm-wise) */
extern bool unit_arrays_close(const double *a, const double *b, Size n, double rel);

/*
 * The last error raised by ereport/elog at ERROR or above: its SQLSTATE
 * (as a PostgreSQL errcode) and formatted message.
 */
extern int	unit_last_sqlerrcode;
extern char unit_last_errmsg[512];

/* "XX000"-style text of an errcode */
extern const char *unit_sqlstate(int sqlerrcode);

/*
 * Run stmt, which must raise an ERROR with the given errcode.  The error's
 * memory is not reclaimed until the test ends.
 */
#define UNIT_EXPECT_ERROR(stmt, code) \
	do { \
		sigjmp_buf *save_stack_ = PG_exception_stack; \
		MemoryContext save_cxt_ = CurrentMemoryContext; \
		sigjmp_buf	jb_; \
		volatile bool thrown_ = false; \
		unit_last_sqlerrcode = 0; \
		unit_last_errmsg[0] = '\0'; \
		if (sigsetjmp(jb_, 0) == 0) \
		{ \
			PG_exception_stack = &jb_; \
			stmt; \
		} \
		else \
			thrown_ = true; \
		PG_exception_stack = save_stack_; \
		CurrentMemoryContext = save_cxt_; \
		if (!thrown_) \
			unit_fail(__FILE__, __LINE__, "no error from %s", #stmt); \
		else if (unit_last_sqlerrcode != (code)) \
			unit_fail(__FILE__, __LINE__, "%s raised %s (%s), expected %s", #stmt, \
					  unit_sqlstate(unit_last_sqlerrcode), unit_last_errmsg, \
					  unit_sqlstate(code)); \
	} while (0)

/* live chunks allocated in cxt (not counting its child contexts) */
extern int64 unit_context_chunks(MemoryContext cxt);

/*
 * Calls of ProcessInterrupts so far.  When unit_cancel_at > 0, the call with
 * that number raises ERRCODE_QUERY_CANCELED as a cancelled query does.
 */
extern int64 unit_interrupts;
extern int64 unit_cancel_at;

/* n x d values uniform in [-1, 1) from a generator seeded with seed */
extern void unit_uniform(double *X, int64 n, int d, uint64 seed);

/* n x d rows around k centres centres[j] (k x d), Gaussian noise of sd */
extern void unit_blobs(double *X, int64 n, int d, int k, const double *centres,
					   double sd, uint64 seed);

#endif							/* GMM_UNIT_H */
