# test/unit/rest.mk -- unit-test drivers for src/rest (no PostgreSQL needed)
# Run from the repository root:  make -f test/unit/rest.mk

REST_CFLAGS = -std=gnu99 -g -O1 -Wall -Wextra -Wno-unused-parameter -Isrc \
	$(shell pkg-config --cflags json-c 2>/dev/null) $(shell curl-config --cflags 2>/dev/null)
REST_LIBS = $(shell curl-config --libs 2>/dev/null || echo -lcurl) -ljson-c -lcrypto
REST_SRCS = src/rest/sp_http.c src/rest/sp_stream.c src/rest/sp_error.c src/rest/sp_values.c
REST_UNIT_PROGS = test/unit/test_stream

all-rest: $(REST_UNIT_PROGS)

test/unit/test_stream: test/unit/test_stream.c $(REST_SRCS) src/rest/sp_client.h test/unit/test_auth_tap.h
	$(CC) $(REST_CFLAGS) -o $@ test/unit/test_stream.c $(REST_SRCS) $(REST_LIBS)

.PHONY: all-rest
