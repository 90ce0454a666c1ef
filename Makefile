# gmm: Gaussian mixture models inside PostgreSQL (PGXS build)
#
#   make                      build gmm.so and the install script gmm--$(EXTVERSION).sql
#   make install              install into PostgreSQL's directories (PGXS), DESTDIR honoured
#   make installcheck         pg_regress over sql/*.sql against a running server (PG* variables)
#   make unittest             the kernel unit tests (test/unit/), no server needed
#   make dist                 gmm-$(EXTVERSION).tar.gz from the committed files (git archive)
#
# Packagers can override: PG_CONFIG, BLAS_LIBS (BLAS + LAPACKE link flags),
# GMM_OPT (optimisation flags, default -O3), PKG_CONFIG.

EXTENSION = gmm
EXTVERSION = 0.2.0

MODULE_big = gmm
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/kernel/*.c)))

# The install script is assembled from one SQL source per area, in this order.
# Listed explicitly: a missing part stops the build ("No rule to make target").
SQL_PARTS = src/sql/model.sql src/sql/score.sql src/sql/sample.sql src/sql/fit.sql \
	src/sql/stats.sql src/sql/train.sql src/sql/infer.sql src/sql/bayes.sql src/sql/missing.sql
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Released install scripts are frozen; every later change to the SQL surface
# ships as an upgrade script (ALTER EXTENSION gmm UPDATE) as well.
DATA = $(EXTENSION)--0.1.0.sql $(EXTENSION)--0.1.0--0.2.0.sql

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# Optimisation level: a packager may set e.g. GMM_OPT="-O2 -g".
GMM_OPT ?= -O3

# BLAS and LAPACKE: from pkg-config when it knows them (lapacke with openblas,
# else the generic blas), else the Debian names.  Override with BLAS_LIBS=...
PKG_CONFIG ?= pkg-config
ifeq ($(origin BLAS_LIBS),undefined)
BLAS_LIBS := $(shell $(PKG_CONFIG) --libs lapacke openblas 2>/dev/null || \
	$(PKG_CONFIG) --libs lapacke blas 2>/dev/null || echo -llapacke -lopenblas)
BLAS_CFLAGS := $(shell $(PKG_CONFIG) --cflags lapacke openblas 2>/dev/null || \
	$(PKG_CONFIG) --cflags lapacke blas 2>/dev/null)
endif

# The server headers are system headers to us: -Wextra then speaks only of our code.
PG_CPPFLAGS = -Isrc $(BLAS_CFLAGS) -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CFLAGS = -Wall -Wextra $(GMM_OPT)
SHLIB_LINK = $(BLAS_LIBS) -lm

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)-$(EXTVERSION).tar.gz test/unit/gmm_unit

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The row E-step promises bit-stable statistics: no fused multiply-adds on any CPU.  (x86-64's
# baseline has no FMA, so this changes nothing there; on aarch64, ppc64le or s390x it does.)
src/kernel/estep.o: override CFLAGS += -ffp-contract=off

# Kernel unit tests: no server.  The kernel objects, a stub of the few backend
# functions they call (test/unit/pg_stub.c, first on the line so that its palloc
# is the one linked) and libpgcommon/libpgport (pg_prng, hash_bytes_extended).
PG_PKGLIBDIR := $(shell $(PG_CONFIG) --pkglibdir)
KERNEL_OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/kernel/*.c)))
UNIT_SRCS = test/unit/pg_stub.c $(filter-out test/unit/pg_stub.c,$(sort $(wildcard test/unit/*.c)))
test/unit/gmm_unit: $(UNIT_SRCS) $(wildcard test/unit/*.h) $(KERNEL_OBJS)
	$(CC) $(CFLAGS) $(CPPFLAGS) -pthread -o $@ $(UNIT_SRCS) $(KERNEL_OBJS) \
		$(PG_PKGLIBDIR)/libpgcommon.a $(PG_PKGLIBDIR)/libpgport.a $(BLAS_LIBS) -lm
.PHONY: unittest
unittest: test/unit/gmm_unit
	test/unit/gmm_unit

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $(SQL_PARTS) > $@.tmp && mv $@.tmp $@

# Source archive of the committed tree (HEAD): uncommitted changes are not in it.
.PHONY: dist
dist:
	@if [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then \
		echo "make dist: warning: uncommitted changes are not in the archive" >&2; fi
	git archive --format=tar.gz --prefix=$(EXTENSION)-$(EXTVERSION)/ \
		-o $(EXTENSION)-$(EXTVERSION).tar.gz HEAD
	@echo "wrote $(EXTENSION)-$(EXTVERSION).tar.gz"
