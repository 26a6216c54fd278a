# spanner_fdw/Makefile
#
# PGXS build of the spanner_fdw extension.  The REST/auth client code in
# src/rest and src/auth includes no PostgreSQL header and is also built on
# its own by the unit-test makefiles under test/unit.

MODULE_big = spanner_fdw
OBJS = \
	$(WIN32RES) \
	spanner_fdw.o \
	src/option.o \
	src/planner.o \
	src/remote_types.o \
	src/scalar.o \
	src/shippable.o \
	src/deparse.o \
	src/dialect_googlesql.o \
	src/typemap.o \
	src/convert.o \
	src/scan.o \
	src/analyze.o \
	src/modify.o \
	src/direct.o \
	src/import.o \
	src/connection.o \
	src/session.o \
	src/session_cache.o \
	src/precommit.o \
	src/stream.o \
	src/xact.o \
	src/commit.o \
	src/retry.o \
	src/query.o \
	src/tags.o \
	src/errors.o \
	src/wait.o \
	src/auth_token.o \
	src/token_cache.o \
	src/rest/sp_http.o \
	src/rest/sp_stream.o \
	src/rest/sp_error.o \
	src/rest/sp_values.o

EXTENSION = spanner_fdw
DATA = spanner_fdw--1.0.sql
PGFILEDESC = "spanner_fdw - foreign data wrapper for Google Cloud Spanner"

REGRESS = options types scan pushdown timestamps import errors stream snapshot recovery cancel writes xact commit tags faults multiplexed

# Auth client objects are added when present (see src/auth).
AUTH_SRCS := $(wildcard src/auth/*.c)
OBJS += $(AUTH_SRCS:.c=.o)

PG_CPPFLAGS += -Isrc $(shell pkg-config --cflags json-c 2>/dev/null) $(shell curl-config --cflags 2>/dev/null)
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter
SHLIB_LINK += $(shell curl-config --libs 2>/dev/null || echo -lcurl) -ljson-c -lcrypto

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when a header changes.
$(filter %.o,$(OBJS)): $(wildcard src/*.h src/rest/*.h src/auth/*.h)

# Server headers are system headers: our warning flags must not fire on them.
override CPPFLAGS := $(patsubst -I$(includedir_server),-isystem $(includedir_server),$(patsubst -I$(includedir_internal),-isystem $(includedir_internal),$(CPPFLAGS)))

# Test targets (PGXS has no "make check" for extensions; scripts/test.sh
# sets up the emulator and a temporary PostgreSQL itself):
#   make test            every suite ("N passed, N failed" last)
#   make valgrind-check  the whole pg_regress run with the server under
#                        valgrind memcheck: any error, or a definite leak
#                        whose stack passes through spanner_fdw, fails it
#   make fuzz            the fuzz targets for FUZZ_SECONDS (default 30)
test:
	bash scripts/test.sh

valgrind-check:
	VALGRIND=1 bash scripts/test.sh regress unit

fuzz:
	bash test/fuzz/run_fuzz.sh

.PHONY: test valgrind-check fuzz
