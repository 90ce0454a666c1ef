/*
 * gmm.c
 *	  The module: PG_MODULE_MAGIC, _PG_init and every setting of the
 *	  library, gmm.threads and gmm.fit_memory_limit, with the functions that
 *	  read them.
 */
#include "postgres.h"

#include "fmgr.h"
#include "access/parallel.h"
#include "optimizer/cost.h"
#include "utils/guc.h"

#include "compat.h"
#include "fit_warning.h"
#include "gmm.h"
#include "kernel/threads.h"

PG_MODULE_MAGIC;

/* gmm.threads: threads of the EM kernels in one backend (0 = automatic) */
int			gmm_threads = 0;

/* gmm.fit_memory_limit, in kB */
int			gmm_fit_memory_limit_kb = 1024 * 1024;

void		_PG_init(void);

/* A size in kB as text, in the largest exact unit */
static char *
kb_text(int kb)
{
	if (kb % (1024 * 1024) == 0)
		return psprintf("%dGB", kb / (1024 * 1024));
	if (kb % 1024 == 0)
		return psprintf("%dMB", kb / 1024);
	return psprintf("%dkB", kb);
}

/* Rows of per_row bytes that gmm.fit_memory_limit allows */
int64
gmm_fit_memory_limit_rows(Size per_row)
{
	return (int64) ((double) gmm_fit_memory_limit_kb * 1024.0 / per_row);
}

/*
 * Error: holding more than n rows of dimension d (per_row bytes each)
 * exceeds gmm.fit_memory_limit
 */
void
gmm_fit_memory_limit_error(const char *caller, int64 n, int d, Size per_row,
						   const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s input exceeds gmm.fit_memory_limit (%s)",
					caller, kb_text(gmm_fit_memory_limit_kb)),
			 errdetail("The %s has more than " INT64_FORMAT " rows of dimension %d; %s holds %zu bytes per row in memory.",
					   strcmp(caller, "gmm_fit") == 0 ? "group" : "sample",
					   n, d, caller, per_row),
			 errhint("%s", hint)));
}

/*
 * The kernels' thread limit (gmm_thread_limit_hook): gmm.threads, or when
 * it is 0 the CPUs this process may use, no more than
 * max_parallel_workers_per_gather + 1, and one inside a parallel worker
 */
static int
gmm_thread_limit(void)
{
	if (gmm_threads > 0)
		return gmm_threads;
	if (IsParallelWorker())
		return 1;
	return Min(gmm_cpu_count(), max_parallel_workers_per_gather + 1);
}

/* Define the library's settings and install its hooks */
void
_PG_init(void)
{
	static bool done = false;

	DefineCustomIntVariable("gmm.fit_memory_limit",
							"Memory gmm_fit may use to hold the rows of one group.",
							"Rows are buffered in memory and fitted when the group ends; "
							"beyond this budget they go to a temporary file (within temp_file_limit) "
							"that every EM pass reads back in blocks.",
							&gmm_fit_memory_limit_kb,
							1024 * 1024,
							64,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	if (!done)
	{
		done = true;
		gmm_blas_stop_pool();
		DefineCustomIntVariable("gmm.threads",
								"Threads used by gmm's EM kernels in one backend.",
								"0 (the default) means as many as the CPUs this "
								"process may use, but no more than "
								"max_parallel_workers_per_gather + 1, and one "
								"inside a parallel worker.  Results do not depend "
								"on the number of threads.",
								&gmm_threads,
								0, 0, GMM_MAX_THREADS,
								PGC_USERSET, 0,
								NULL, NULL, NULL);
		gmm_thread_limit_hook = gmm_thread_limit;
	}
	gmm_convergence_warning_init();
	MarkGUCPrefixReserved("gmm");
}
