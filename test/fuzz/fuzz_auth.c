/*-------------------------------------------------------------------------
 *
 * fuzz_auth.c
 *		  libFuzzer target: what the authentication client reads from the
 *		  network or from a user (src/auth): Google STS and IAM Credentials
 *		  answers, AWS metadata credentials documents, credential
 *		  configuration files, and the date formats inside them.
 *
 * Input: byte 0 chooses the parser (and byte 1 its HTTP status or flags);
 * the rest is the document.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "sp_auth_int.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 200, 200, 400, 401, 403, 404, 500};
	SpAuthError err;
	SpHttpResponse resp;
	char	   *doc;
	size_t		len;
	char	   *token = NULL;
	time_t		t;

	if (size < 2)
		return 0;
	len = size - 2;
	/* documents arrive NUL-terminated (the HTTP client and file reader) */
	doc = malloc(len + 1);
	if (doc == NULL)
		return 0;
	memcpy(doc, data + 2, len);
	doc[len] = '\0';
	memset(&resp, 0, sizeof(resp));
	resp.status = statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
	resp.body = doc;
	resp.len = len;
	sp_err_clear(&err);

	switch (data[0] % 6)
	{
		case 0:
			if (sp_sts_parse_reply(&resp, "https://sts.googleapis.com/v1/token",
								   time(NULL), &token, &t, &err) == 0)
				sp_free_secret(token);
			break;
		case 1:
			{
				SpAwsConfig ac;

				memset(&ac, 0, sizeof(ac));
				ac.sa_email = "sa@example-project.iam.gserviceaccount.com";
				if (sp_iam_parse_reply(&resp, &ac, &token, &t, &err) == 0)
					sp_free_secret(token);
				break;
			}
		case 2:
			{
				SpAwsCredentials creds;

				memset(&creds, 0, sizeof(creds));
				if (sp_aws_parse_credentials(doc, len, "the metadata service",
											 &creds, &err) == 0)
					sp_aws_credentials_free(&creds);
				break;
			}
		case 3:
			{
				SpAwsConfig ac;

				memset(&ac, 0, sizeof(ac));
				if (sp_config_parse(doc, len, "credentials_json",
									(data[1] & 1) != 0, &ac, &err) == 0)
					sp_config_free(&ac);
				break;
			}
		case 4:
			(void) sp_parse_rfc3339(doc, &t);
			(void) sp_parse_amz_date(doc, &t);
			break;
		case 5:
			{
				json_object *root = sp_json_parse(doc, len);
				char	   *s = sp_json_get_string(root, "access_token");

				free(s);
				if (root)
					json_object_put(root);
				break;
			}
	}
	free(doc);
	return 0;
}
