/*
 * pg_stub.c
 *	  The few backend functions and variables the kernel objects use, for
 *	  the unit-test program (no server): memory contexts that really free
 *	  (a context is a list of malloc'd chunks, so per-iteration resets and
 *	  deletes work and live chunks can be counted), ereport/elog (ERROR and
 *	  above longjmp to PG_exception_stack, as in the backend; lower levels
 *	  are printed with GMM_UNIT_VERBOSE=1), interrupts, and add_size/mul_size.
 *	  pg_prng and hash_bytes_extended come from libpgcommon.
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "miscadmin.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "unit.h"

/* a chunk header, 32 bytes: the payload keeps malloc's 16-byte alignment */
typedef struct UnitChunk
{
	struct UnitContext *cxt;
	struct UnitChunk *prev;
	struct UnitChunk *next;
	Size		size;
} UnitChunk;

/* a context: PostgreSQL's header (for the tree links), then its chunks */
typedef struct UnitContext
{
	MemoryContextData base;
	UnitChunk	chunks;			/* circular list head */
	int64		nchunks;
} UnitContext;

MemoryContext CurrentMemoryContext = NULL;
volatile sig_atomic_t InterruptPending = false;
volatile uint32 InterruptHoldoffCount = 0;
volatile uint32 QueryCancelHoldoffCount = 0;
volatile uint32 CritSectionCount = 0;
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

int			unit_last_sqlerrcode = 0;
char		unit_last_errmsg[512];
int64		unit_interrupts = 0;
int64		unit_cancel_at = 0;

/* the report being built by errstart ... errfinish */
static struct
{
	int			elevel;
	int			sqlerrcode;
	char		message[512];
	char		detail[512];
	char		hint[512];
}			cur;

/* Stop the program on a failure of the stub itself */
static void
unit_die(const char *what)
{
	fprintf(stderr, "pg_stub: %s\n", what);
	abort();
}

/* ---------------------------------------------------------------- memory */

/* Create a context under parent (NULL for a root) */
MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	UnitContext *c = calloc(1, sizeof(UnitContext));

	(void) minContextSize;
	(void) initBlockSize;
	(void) maxBlockSize;
	if (c == NULL)
		unit_die("out of memory");
	c->base.type = T_AllocSetContext;
	c->base.name = name;
	c->base.parent = parent;
	c->chunks.prev = c->chunks.next = &c->chunks;
	if (parent)
	{
		c->base.nextchild = parent->firstchild;
		if (parent->firstchild)
			parent->firstchild->prevchild = &c->base;
		parent->firstchild = &c->base;
	}
	return &c->base;
}

/* Free every chunk of c and delete its children */
void
MemoryContextReset(MemoryContext c)
{
	UnitContext *u = (UnitContext *) c;

	while (c->firstchild)
		MemoryContextDelete(c->firstchild);
	while (u->chunks.next != &u->chunks)
	{
		UnitChunk  *ch = u->chunks.next;

		u->chunks.next = ch->next;
		free(ch);
	}
	u->chunks.prev = &u->chunks;
	u->nchunks = 0;
}

/* Reset c, unlink it from its parent and free it */
void
MemoryContextDelete(MemoryContext c)
{
	MemoryContextReset(c);
	if (c->prevchild)
		c->prevchild->nextchild = c->nextchild;
	else if (c->parent)
		c->parent->firstchild = c->nextchild;
	if (c->nextchild)
		c->nextchild->prevchild = c->prevchild;
	if (CurrentMemoryContext == c)
		CurrentMemoryContext = c->parent;
	free(c);
}

/* live chunks of cxt (not its children) */
int64
unit_context_chunks(MemoryContext cxt)
{
	return ((UnitContext *) cxt)->nchunks;
}

/* Allocate size bytes in c (zeroed if zero); limit as the backend's */
static void *
unit_alloc(MemoryContext c, Size size, bool zero, bool huge)
{
	UnitContext *u = (UnitContext *) c;
	UnitChunk  *ch;

	if (c == NULL)
		unit_die("allocation without a memory context");
	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	ch = zero ? calloc(1, sizeof(UnitChunk) + size) : malloc(sizeof(UnitChunk) + size);
	if (ch == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	ch->cxt = u;
	ch->size = size;
	ch->next = u->chunks.next;
	ch->prev = &u->chunks;
	u->chunks.next->prev = ch;
	u->chunks.next = ch;
	u->nchunks++;
	return ch + 1;
}

void *
palloc(Size size)
{
	return unit_alloc(CurrentMemoryContext, size, false, false);
}

void *
palloc0(Size size)
{
	return unit_alloc(CurrentMemoryContext, size, true, false);
}

void *
MemoryContextAlloc(MemoryContext c, Size size)
{
	return unit_alloc(c, size, false, false);
}

void *
MemoryContextAllocZero(MemoryContext c, Size size)
{
	return unit_alloc(c, size, true, false);
}

void *
MemoryContextAllocHuge(MemoryContext c, Size size)
{
	return unit_alloc(c, size, false, true);
}

/* Free a chunk from any context */
void
pfree(void *p)
{
	UnitChunk  *ch = (UnitChunk *) p - 1;

	ch->prev->next = ch->next;
	ch->next->prev = ch->prev;
	ch->cxt->nchunks--;
	free(ch);
}

/* Resize a chunk, keeping its context */
void *
repalloc(void *p, Size size)
{
	UnitChunk  *ch = (UnitChunk *) p - 1;
	void	   *q = unit_alloc(&ch->cxt->base, size, false, false);

	memcpy(q, p, Min(size, ch->size));
	pfree(p);
	return q;
}

/* s1 + s2, erroring on overflow as the backend does */
Size
add_size(Size s1, Size s2)
{
	Size		result = s1 + s2;

	if (result < s1 || result < s2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("requested shared memory size overflows size_t")));
	return result;
}

/* s1 * s2, erroring on overflow as the backend does */
Size
mul_size(Size s1, Size s2)
{
	Size		result;

	if (s1 == 0 || s2 == 0)
		return 0;
	result = s1 * s2;
	if (result / s2 != s1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("requested shared memory size overflows size_t")));
	return result;
}

/* ------------------------------------------------------------ interrupts */

/* Service an interrupt: count it; the unit_cancel_at-th one cancels */
void
ProcessInterrupts(void)
{
	InterruptPending = false;
	unit_interrupts++;
	if (unit_cancel_at > 0 && unit_interrupts == unit_cancel_at)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling statement due to user request")));
}

/* ---------------------------------------------------------------- errors */

bool
errstart(int elevel, const char *domain)
{
	(void) domain;
	memset(&cur, 0, sizeof(cur));
	cur.elevel = elevel;
	cur.sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR :
		elevel >= WARNING ? ERRCODE_WARNING : ERRCODE_SUCCESSFUL_COMPLETION;
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

/* End a report: ERROR and above jump to the innermost catcher */
void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (cur.elevel >= ERROR)
	{
		unit_last_sqlerrcode = cur.sqlerrcode;
		strlcpy(unit_last_errmsg, cur.message, sizeof(unit_last_errmsg));
		if (PG_exception_stack == NULL)
		{
			fprintf(stderr, "ERROR outside a test: %s (%s:%d %s)\n",
					cur.message, filename, lineno, funcname);
			abort();
		}
		siglongjmp(*PG_exception_stack, 1);
	}
	if (getenv("GMM_UNIT_VERBOSE") != NULL)
		printf("    %s: %s%s%s\n", cur.elevel >= WARNING ? "WARNING" : "NOTICE",
			   cur.message, cur.detail[0] ? " DETAIL: " : "", cur.detail);
}

/* Re-throw the current error (PG_TRY's PG_FINALLY / PG_RE_THROW) */
void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
		unit_die("pg_re_throw outside a test");
	siglongjmp(*PG_exception_stack, 1);
}

int
errcode(int sqlerrcode)
{
	cur.sqlerrcode = sqlerrcode;
	return 0;
}

#define UNIT_FORMAT(buf) \
	do { va_list ap; va_start(ap, fmt); vsnprintf(buf, sizeof(buf), fmt, ap); va_end(ap); } while (0)

int
errmsg(const char *fmt,...)
{
	UNIT_FORMAT(cur.message);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	UNIT_FORMAT(cur.message);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	UNIT_FORMAT(cur.detail);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	UNIT_FORMAT(cur.detail);
	return 0;
}

int
errhint(const char *fmt,...)
{
	UNIT_FORMAT(cur.hint);
	return 0;
}

/* The five-character SQLSTATE of an errcode (a static buffer, two in turn) */
const char *
unit_sqlstate(int sqlerrcode)
{
	static char buf[2][6];
	static int	turn = 0;
	char	   *s = buf[turn++ % 2];

	for (int i = 0; i < 5; i++)
	{
		s[i] = PGUNSIXBIT(sqlerrcode);
		sqlerrcode >>= 6;
	}
	s[5] = '\0';
	return s;
}
