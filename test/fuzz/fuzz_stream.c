/*-------------------------------------------------------------------------
 *
 * fuzz_stream.c
 *		  libFuzzer target: the streaming-response reader of src/rest
 *		  (framing, resume buffer, chunk merging, limits) and the value
 *		  decoders applied to the rows it assembles.
 *
 * Input: byte 0 chooses the size of the pieces the rest is fed in (so the
 * reader sees every kind of split), byte 1 chooses options: a resume
 * buffer, small limits, a resume in the middle.  The rest is the body of
 * an executeStreamingSql/streamingRead answer.
 *
 * Copyright (c) 2026 spanner_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_stream.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest/sp_client.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode what the PostgreSQL side decodes without PostgreSQL. */
static void
decode_row(SpRowReader *rd, json_object **values)
{
	const SpColumn *cols = sp_reader_columns(rd);
	int			ncols = sp_reader_ncols(rd);
	int			i;

	for (i = 0; i < ncols; i++)
	{
		const char *s;
		int64_t		n;
		SpTimestamp ts;

		if (values[i] == NULL || !json_object_is_type(values[i], json_type_string))
			continue;
		s = json_object_get_string(values[i]);
		switch (cols[i].code)
		{
			case SP_TYPE_INT64:
			case SP_TYPE_ENUM:
				(void) sp_parse_int64(s, &n);
				break;
			case SP_TYPE_DATE:
				(void) sp_parse_date(s, &ts);
				break;
			case SP_TYPE_TIMESTAMP:
				(void) sp_parse_timestamp(s, &ts);
				break;
			default:
				/* touch every byte, as a conversion would */
				(void) strlen(s);
				break;
		}
	}
}

/* Take every row available; false once the reader failed. */
static bool
drain(SpRowReader *rd)
{
	json_object **values;
	SpError		err;
	int			r;
	int32_t		seq;

	sp_error_clear(&err);
	while ((r = sp_reader_next(rd, &values, &err)) == 1)
		decode_row(rd, values);
	(void) sp_reader_transaction_id(rd);
	(void) sp_reader_resume_token(rd);
	(void) sp_reader_stream_error(rd);
	(void) sp_reader_precommit_token(rd, &seq);
	return r >= 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SpRowReader *rd;
	SpError		err;
	size_t		piece,
				off,
				half;
	uint8_t		mode;
	const char *text;
	size_t		len;

	if (size < 2)
		return 0;
	piece = data[0] >= 200 ? size : (size_t) data[0] % 64 + 1;
	mode = data[1];
	text = (const char *) data + 2;
	len = size - 2;
	half = len / 2;

	rd = sp_reader_new((mode & 1) ? 512 : 0);
	if (rd == NULL)
		return 0;
	if (mode & 2)
		sp_reader_set_limits(rd, 2048, 256);
	sp_error_clear(&err);
	for (off = 0; off < len;)
	{
		size_t		n = len - off < piece ? len - off : piece;

		if (!sp_reader_feed(rd, text + off, n, &err) || !drain(rd))
			goto done;
		off += n;
		if ((mode & 4) && off >= half && half > 0)
		{
			const char *token;

			/* a broken stream resumed: the rest plays the new answer */
			half = 0;
			(void) sp_reader_incomplete(rd);
			(void) sp_reader_prepare_resume(rd, &token);
		}
	}
	if (sp_reader_finish(rd, &err))
		(void) drain(rd);
	(void) sp_reader_has_metadata(rd);
	(void) sp_reader_finished(rd);
done:
	sp_reader_free(rd);
	return 0;
}
