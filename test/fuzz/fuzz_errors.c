/*-------------------------------------------------------------------------
 *
 * fuzz_errors.c
 *		  libFuzzer target: Spanner error bodies (src/rest/sp_error.c), as
 *		  they come with an HTTP status or inside a stream, and unary
 *		  answers (sp_json_parse_body, precommit tokens of a commit).
 *
 * Input: bytes 0-1 choose the HTTP status (bit 1 of byte 1: a small
 * size limit for the unary parse); the rest is the body.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_errors.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400, 401, 403, 404, 409, 412, 429,
	500, 502, 503, 504, 0, 999};
	SpError		err;
	long		status;
	json_object *obj = NULL;
	json_tokener *tok;

	if (size < 2)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	if (data[1] & 1)
		status += data[1] >> 1;

	sp_error_clear(&err);
	sp_error_from_body(&err, status, (const char *) data + 2, size - 2);
	(void) sp_grpc_code_name(err.grpc_code);
	sp_error_on_session(&err, size - 2);

	/* the same body as a unary answer (a commit, a session, ...) */
	if (sp_json_parse_body((const char *) data + 2, size - 2,
						   (data[1] & 2) ? 4096 : 1024 * 1024, &obj, &err))
	{
		const char *token;
		int32_t		seq;

		(void) sp_precommit_token_of(obj, &token, &seq);
		json_object_put(obj);
		obj = NULL;
	}

	/* the same body as an already parsed object (an error element) */
	tok = json_tokener_new_ex(SP_MAX_JSON_DEPTH);
	if (tok != NULL)
	{
		obj = json_tokener_parse_ex(tok, (const char *) data + 2, (int) (size - 2));
		json_tokener_free(tok);
	}
	if (obj != NULL)
	{
		sp_error_clear(&err);
		sp_error_from_json(&err, status, obj);
		json_object_put(obj);
	}
	return 0;
}
