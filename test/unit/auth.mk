# test/unit/auth.mk
#	Build the src/auth unit-test drivers (plain C, no PostgreSQL headers).
#
# Include it from the top-level Makefile, or run it alone from the
# repository root:
#	make -f test/unit/auth.mk            # build $(AUTH_UNIT_PROGS)
#	make -f test/unit/auth.mk auth-clean
#
# Copyright (c) 2026 spanner_fdw developers

# Keep whatever default goal the including Makefile has.
auth_saved_default_goal := $(.DEFAULT_GOAL)

AUTH_CC ?= $(if $(CC),$(CC),gcc)
AUTH_CFLAGS ?= -g -O1 -Wall -Wextra -Wno-unused-parameter
AUTH_CPPFLAGS := -Isrc -Isrc/auth -Itest/unit \
	$(shell pkg-config --cflags libcurl json-c openssl 2>/dev/null)
AUTH_LIBS := -lcurl -ljson-c -lcrypto

AUTH_UNIT_SRCS := $(sort $(wildcard src/auth/*.c)) \
	src/rest/sp_http.c src/rest/sp_stream.c src/rest/sp_error.c src/rest/sp_values.c
AUTH_UNIT_HDRS := $(wildcard src/auth/*.h) src/rest/sp_client.h test/unit/test_auth_tap.h

AUTH_UNIT_PROGS := test/unit/test_sigv4 test/unit/test_auth \
	test/unit/test_auth_e2e

.PHONY: auth-units auth-clean

auth-units: $(AUTH_UNIT_PROGS)

# a static pattern rule: only our drivers, never other test/unit programs
$(AUTH_UNIT_PROGS): test/unit/%: test/unit/%.c $(AUTH_UNIT_SRCS) $(AUTH_UNIT_HDRS)
	$(AUTH_CC) $(AUTH_CFLAGS) $(AUTH_CPPFLAGS) -o $@ $< $(AUTH_UNIT_SRCS) $(AUTH_LIBS)

auth-clean:
	rm -f $(AUTH_UNIT_PROGS)

# Standalone (make -f test/unit/auth.mk): build the drivers by default.
# Included: restore the includer's default goal (empty means "the next
# target defined", as before this file was read).
ifeq ($(words $(MAKEFILE_LIST)),1)
.DEFAULT_GOAL := auth-units
else
.DEFAULT_GOAL := $(auth_saved_default_goal)
endif
