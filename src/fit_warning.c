/*
 * fit_warning.c
 *	  The convergence WARNING: one per statement, however many fits.
 *
 * Every fit that gmm_fit, gmm_fit_weighted and gmm_train return (through
 * gmm_fit_warning_count, right after the EM driver) is counted, per
 * top-level statement (identified by its start timestamp, so that counts
 * left by a statement that failed are dropped); the executor hooks below
 * emit one WARNING when the outermost query of the statement ends, if any
 * returned model did not converge (max_iter 0, the initial model alone, is
 * not reported).  Nested queries (gmm_train's, those of SQL functions) run
 * inside the outer one's ExecutorRun and do not end the count.  Fits run
 * in a parallel worker are not counted (gmm_fit has no combine function,
 * so its final function runs in the leader).
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "utils/timestamp.h"

#include "fit_warning.h"

typedef struct ConvergenceCount
{
	TimestampTz stmt_start;		/* the statement counted */
	int64		fits;			/* fits returned */
	int64		not_converged;	/* of which did not converge */
	char		caller[32];		/* of the first that did not converge */
	int			max_iter;
	double		tol;
	bool		variational;	/* the first was a variational fit */
} ConvergenceCount;

static ConvergenceCount conv_count;
static int	exec_nesting = 0;
static ExecutorRun_hook_type prev_executor_run = NULL;
static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ExecutorEnd_hook_type prev_executor_end = NULL;

/* Count a returned model */
void
gmm_fit_warning_count(const Gmm *m, const GmmFitOptions *opts, const char *caller)
{
	TimestampTz now = GetCurrentStatementStartTimestamp();

	if (IsParallelWorker())
		return;
	if (conv_count.stmt_start != now)
	{
		memset(&conv_count, 0, sizeof(conv_count));
		conv_count.stmt_start = now;
	}
	conv_count.fits++;
	/* max_iter 0 asks for the initial model only: nothing to warn about */
	if (!(m->flags & GMM_FLAG_CONVERGED) && opts->max_iter > 0)
	{
		if (conv_count.not_converged++ == 0)
		{
			strlcpy(conv_count.caller, caller, sizeof(conv_count.caller));
			conv_count.max_iter = opts->max_iter;
			conv_count.tol = opts->tol;
			conv_count.variational = (m->flags & GMM_FLAG_BAYES) != 0;
		}
	}
}

/* Emit the statement's WARNING, if any, and forget the count */
static void
report_convergence(void)
{
	ConvergenceCount c = conv_count;

	memset(&conv_count, 0, sizeof(conv_count));
	if (c.not_converged == 0 || c.stmt_start != GetCurrentStatementStartTimestamp())
		return;
	if (c.fits == 1)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s did not converge within max_iter = %d iteration%s",
						c.caller, c.max_iter, c.max_iter == 1 ? "" : "s"),
				 c.variational ?
				 errdetail("The variational lower bound (a total over the rows, as scikit-learn's) still changed by tol = %g or more in the last iteration; the model is usable but may not be a local maximum.",
						   c.tol) :
				 errdetail("The mean log-likelihood per row still changed by tol = %g or more in the last iteration; the model is usable but may not be a local maximum.",
						   c.tol),
				 errhint("Raise \"max_iter\" (or \"tol\") in the options, or scale the data; gmm_converged(m) tells whether a model converged.")));
	else
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg(INT64_FORMAT " of " INT64_FORMAT " Gaussian mixture fits in this statement did not converge",
						c.not_converged, c.fits),
				 errdetail("The first, by %s, stopped at max_iter = %d with the %s still changing by tol = %g or more.",
						   c.caller, c.max_iter,
						   c.variational ? "variational lower bound" : "mean log-likelihood per row", c.tol),
				 errhint("Find them with WHERE NOT gmm_converged(m); raise \"max_iter\" (or \"tol\") in their options.")));
}

/* ExecutorRun hook: track the nesting of queries */
static void
conv_executor_run(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
				  bool execute_once)
{
	exec_nesting++;
	PG_TRY();
	{
		if (prev_executor_run)
			prev_executor_run(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		exec_nesting--;
	}
	PG_END_TRY();
}

/* ExecutorFinish hook: track the nesting of queries */
static void
conv_executor_finish(QueryDesc *queryDesc)
{
	exec_nesting++;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		exec_nesting--;
	}
	PG_END_TRY();
}

/* ExecutorEnd hook: the outermost query's end reports the statement's count */
static void
conv_executor_end(QueryDesc *queryDesc)
{
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (exec_nesting == 0 && conv_count.not_converged > 0 && !IsParallelWorker())
		report_convergence();
}

/* Install the executor hooks (from _PG_init) */
void
gmm_convergence_warning_init(void)
{
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = conv_executor_run;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = conv_executor_finish;
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = conv_executor_end;
}
