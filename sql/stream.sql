-- ===================================================================
-- stream: production's wire shapes and faults, through a proxy in front of
-- the emulator (test/standins/fault_proxy.py): JSON-array framing, small
-- messages with values chunked across them, resume tokens, cut streams,
-- error elements after data, production error bodies, lost sessions
-- ===================================================================
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance,
       current_setting('spanner_test.standins') || '/fault_proxy.py' AS proxy,
       current_setting('data_directory') || '/fault_proxy' AS pxfile \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE SERVER IF NOT EXISTS sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
RESET client_min_messages;

-- start the proxy (its own session, at most 600 s; killed at the end)
SELECT format('python3 %s --upstream %s --port-file %s --pid-file %s --daemon </dev/null >/dev/null 2>&1',
  :'proxy', :'endpoint', :'pxfile' || '.port', :'pxfile' || '.pid') AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT 'http://127.0.0.1:' || pg_read_file(:'pxfile' || '.port') AS pxurl \gset
CREATE SERVER px FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'pxurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER px OPTIONS (auth 'none');
CREATE SCHEMA direct;
CREATE SCHEMA viapx;
IMPORT FOREIGN SCHEMA public LIMIT TO ("Singers", "AllTypes") FROM SERVER sp INTO direct;
IMPORT FOREIGN SCHEMA public LIMIT TO ("Singers", "AllTypes") FROM SERVER px INTO viapx;
CREATE FUNCTION px_config(cfg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT %L) TO PROGRAM %L', cfg,
    format('curl -s -X POST --data-binary @- %s/__config >/dev/null',
           current_setting('spanner_test.pxurl')));
END $$;
SELECT set_config('spanner_test.pxurl', :'pxurl', false) IS NOT NULL AS ok;
CREATE TABLE px_out (t text);
CREATE FUNCTION px_stats() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  TRUNCATE px_out;
  EXECUTE format('COPY px_out FROM PROGRAM %L',
    format('curl -s %s/__stats', current_setting('spanner_test.pxurl')));
  SELECT t INTO r FROM px_out;
  RETURN r::jsonb;
END $$;
-- a whole-table fingerprint, to compare the two paths
CREATE FUNCTION fp(tbl regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(t::text, %L ORDER BY t::text)) || %L || count(*) FROM %s t',
                 '|', '/', tbl) INTO r;
  RETURN r;
END $$;

-- ===================================================================
-- production framing, values chunked across small messages
-- ===================================================================
SELECT px_config('{"split": 3}');
SELECT fp('viapx."Singers"') = fp('direct."Singers"') AS same_singers,
       fp('viapx."AllTypes"') = fp('direct."AllTypes"') AS same_alltypes;
SELECT "SingerId", "FirstName", "Tags" FROM viapx."Singers" WHERE "SingerId" IN (4, 6, 9) ORDER BY 1;
SELECT (px_stats()->>'messages')::int > 30 AS many_messages;

-- ===================================================================
-- a stream cut after some messages is resumed from the last token:
-- every row exactly once
-- ===================================================================
SELECT px_config('{"split": 5, "cut_after": 4, "cut_times": 1}');
SELECT fp('viapx."Singers"') = fp('direct."Singers"') AS same_after_resume;
SELECT (px_stats()->>'cuts')::int AS cuts, (px_stats()->>'resumed')::int AS resumed;
-- inside a transaction block the resumed read uses the same snapshot
BEGIN;
SELECT count(*) FROM viapx."AllTypes";
SELECT px_config('{"cut_after": 2, "cut_times": 1}');
SELECT fp('viapx."AllTypes"') = fp('direct."AllTypes"') AS same_after_resume;
COMMIT;
SELECT (px_stats()->>'cuts')::int AS cuts, (px_stats()->>'resumed')::int AS resumed;
-- a body that ends cleanly but early (no closing ]) is a cut too, not the end
SELECT px_config('{"cut_after": 3, "cut_times": 1, "clean_cut": true}');
SELECT fp('viapx."Singers"') = fp('direct."Singers"') AS same_after_clean_cut;
SELECT px_config('{"clean_cut": false}');
SELECT (px_stats()->>'cuts')::int AS cuts, (px_stats()->>'resumed')::int AS resumed;
-- without tokens nothing is released until the end, so a cut restarts it
SELECT px_config('{"no_tokens": true, "cut_after": 3, "cut_times": 1}');
SELECT fp('viapx."Singers"') = fp('direct."Singers"') AS same_after_restart;
-- (the counts below read every row: "OFFSET 0" keeps the aggregate local,
-- so the rows, not one COUNT(*), come through the proxy)
-- with no resume buffer a cut stream is an error, never a short result
SET spanner_fdw.resume_buffer_kb = 0;
SELECT px_config('{"no_tokens": false, "cut_after": 3, "cut_times": 1}');
\set VERBOSITY terse
SELECT count(*) FROM (SELECT FROM viapx."Singers" OFFSET 0) s;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
RESET spanner_fdw.resume_buffer_kb;
SELECT count(*) FROM (SELECT FROM viapx."Singers" OFFSET 0) s;

-- ===================================================================
-- an error element after data is an error; UNAVAILABLE is resumed
-- ===================================================================
SELECT px_config('{"error_after": 4, "error_times": 1, "error_code": 13}');
SELECT count(*) FROM (SELECT FROM viapx."Singers" OFFSET 0) s;
SELECT px_config('{"error_after": 4, "error_times": 1, "error_code": 14}');
SELECT count(*) FROM (SELECT FROM viapx."Singers" OFFSET 0) s;

-- ===================================================================
-- production error bodies and a session that disappeared
-- ===================================================================
-- (the column's Spanner type is given, so the query itself meets the error)
CREATE FOREIGN TABLE viapx.nosuch (x bigint OPTIONS (spanner_type 'INT64')) SERVER px OPTIONS (table_name 'NoSuch');
SELECT * FROM viapx.nosuch;
\echo :LAST_ERROR_SQLSTATE
SELECT px_config('{"session_gone_times": 1}');
SELECT count(*) FROM (SELECT FROM viapx."Singers" OFFSET 0) s;
SELECT (px_stats()->>'session_gone')::int AS session_gone_served;

-- ===================================================================
-- limits: a value larger than any Spanner sends, JSON nested too deeply
-- ===================================================================
-- a 65 MiB string (over the 64 MiB limit on one value), chunked in 1 MiB
-- messages as production chunks long values: an error, not out of memory
SELECT px_config('{"big_value_bytes": 68157440, "big_value_times": 1}');
SELECT "SingerId", "FirstName" FROM viapx."Singers" ORDER BY "SingerId" LIMIT 3;
\echo :LAST_ERROR_SQLSTATE
-- the backend goes on: the same query, then exact rows of both tables
SELECT "SingerId", "FirstName" FROM viapx."Singers" ORDER BY "SingerId" LIMIT 3;
SELECT fp('viapx."Singers"') = fp('direct."Singers"') AS singers_same,
       fp('viapx."AllTypes"') = fp('direct."AllTypes"') AS alltypes_same;
-- a 60 MiB value is under the limit: read whole (into a text column)
CREATE FOREIGN TABLE viapx.singers_text ("SingerId" bigint, "FirstName" text)
  SERVER px OPTIONS (table_name 'Singers');
SELECT px_config('{"big_value_bytes": 62914560, "big_value_times": 1}');
SELECT "SingerId", length("FirstName") AS len, md5("FirstName") = md5(repeat('x', 62914560)) AS all_x
  FROM viapx.singers_text ORDER BY "SingerId" LIMIT 2;
-- arrays nested 100 deep (JSON text nested beyond 64 levels)
SELECT px_config('{"deep_value_times": 1}');
SELECT "SingerId", "FirstName" FROM viapx."Singers" ORDER BY "SingerId" LIMIT 3;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM (SELECT FROM viapx."Singers" OFFSET 0) s;

-- stop the proxy
SELECT format('cat >/dev/null; kill %s', pg_read_file(:'pxfile' || '.pid')) AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
\set VERBOSITY terse
DROP SCHEMA direct, viapx CASCADE;
DROP SERVER px CASCADE;
\set VERBOSITY default
DROP FUNCTION px_config(text), px_stats(), fp(regclass);
DROP TABLE px_out;
