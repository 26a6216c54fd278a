# test/fuzz/fuzz.mk -- libFuzzer targets for the response parsers
# (src/rest and src/auth; no PostgreSQL needed).  Run from the repository
# root:  make -f test/fuzz/fuzz.mk
#
# Built with clang and libFuzzer, AddressSanitizer and UndefinedBehavior-
# Sanitizer; any sanitizer report ends the run with a crash file.
#
# Copyright (c) 2026 spanner_fdw developers

FUZZ_CC ?= clang
FUZZ_CFLAGS = -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Isrc -Isrc/auth $(shell pkg-config --cflags libcurl json-c openssl 2>/dev/null)
FUZZ_LIBS = -lcurl -ljson-c -lcrypto

FUZZ_REST_SRCS = src/rest/sp_http.c src/rest/sp_stream.c src/rest/sp_error.c \
	src/rest/sp_values.c
FUZZ_AUTH_SRCS = $(sort $(wildcard src/auth/*.c))
FUZZ_HDRS = src/rest/sp_client.h $(wildcard src/auth/*.h)

FUZZ_PROGS = test/fuzz/fuzz_stream test/fuzz/fuzz_errors test/fuzz/fuzz_auth

all-fuzz: $(FUZZ_PROGS)

test/fuzz/fuzz_stream test/fuzz/fuzz_errors: test/fuzz/%: test/fuzz/%.c $(FUZZ_REST_SRCS) $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_REST_SRCS) $(FUZZ_LIBS)

test/fuzz/fuzz_auth: test/fuzz/fuzz_auth.c $(FUZZ_REST_SRCS) $(FUZZ_AUTH_SRCS) $(FUZZ_HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_AUTH_SRCS) $(FUZZ_REST_SRCS) $(FUZZ_LIBS)

fuzz-clean:
	rm -f $(FUZZ_PROGS)

.PHONY: all-fuzz fuzz-clean
