# gmm: Gaussian mixture models inside PostgreSQL (PGXS build)

EXTENSION = gmm
EXTVERSION = 0.2.0

MODULE_big = gmm
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is assembled from one SQL source per area, in this order.
SQL_PARTS = $(wildcard $(addprefix src/sql/,model.sql score.sql sample.sql fit.sql stats.sql train.sql infer.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Released install scripts are frozen; every later change to the SQL surface
# ships as an upgrade script (ALTER EXTENSION gmm UPDATE) as well.
DATA = $(EXTENSION)--0.1.0.sql $(EXTENSION)--0.1.0--0.2.0.sql

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# The server headers are system headers to us: -Wextra then speaks only of our code.
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CFLAGS = -Wall -Wextra -O3
SHLIB_LINK = -llapacke -lopenblas -lm

EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@
