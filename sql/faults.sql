-- ===================================================================
-- faults: transient Spanner failures at SQL level, through the fault proxy
-- in front of the emulator (test/standins/fault_proxy.py): what is retried
-- (and how often, seen from the proxy), what is not, the retry_timeout
-- bound, statement_timeout and cancel during a wait, and that the backend
-- goes on working after each
-- ===================================================================
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance,
       current_setting('spanner_test.standins') || '/fault_proxy.py' AS proxy,
       current_setting('data_directory') || '/fault_proxy_faults' AS pxfile \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE SERVER IF NOT EXISTS sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
RESET client_min_messages;

-- the proxy (its own session, at most 600 s; killed at the end)
SELECT format('python3 %s --upstream %s --port-file %s --pid-file %s --daemon </dev/null >/dev/null 2>&1',
  :'proxy', :'endpoint', :'pxfile' || '.port', :'pxfile' || '.pid') AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT 'http://127.0.0.1:' || pg_read_file(:'pxfile' || '.port') AS pxurl \gset
CREATE SERVER fpx FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'pxurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER fpx OPTIONS (auth 'none');
-- the write tests' database, directly and through the proxy
CREATE SERVER fwd FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER fwd OPTIONS (auth 'none');
CREATE SERVER fwx FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'pxurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER fwx OPTIONS (auth 'none');
CREATE SCHEMA fdirect;
CREATE SCHEMA fviapx;
IMPORT FOREIGN SCHEMA public LIMIT TO ("Singers", "AllTypes") FROM SERVER sp INTO fdirect;
IMPORT FOREIGN SCHEMA public LIMIT TO ("Singers", "AllTypes") FROM SERVER fpx INTO fviapx;
CREATE FOREIGN TABLE fdirect.kv (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER fwd OPTIONS (table_name 'kv');
CREATE FOREIGN TABLE fviapx.kv (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER fwx OPTIONS (table_name 'kv');
DELETE FROM fdirect.kv WHERE k BETWEEN 7000 AND 7999;
INSERT INTO fdirect.kv (k, v, n) VALUES (7000, 'faults', 0), (7001, 'faults', 0);

SELECT set_config('spanner_test.fpxurl', :'pxurl', false) IS NOT NULL AS ok;
CREATE FUNCTION f_config(cfg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT %L) TO PROGRAM %L', cfg,
    format('curl -s -X POST --data-binary @- %s/__config >/dev/null',
           current_setting('spanner_test.fpxurl')));
END $$;
CREATE TABLE f_out (t text);
CREATE FUNCTION f_stats() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  TRUNCATE f_out;
  EXECUTE format('COPY f_out FROM PROGRAM %L',
    format('curl -s %s/__stats', current_setting('spanner_test.fpxurl')));
  SELECT t INTO r FROM f_out;
  RETURN r::jsonb;
END $$;
-- the proxy's counters now, and the calls of one rpc since then
CREATE TABLE f_mark_t (s jsonb);
CREATE FUNCTION f_mark() RETURNS void LANGUAGE sql AS $$
  DELETE FROM f_mark_t; INSERT INTO f_mark_t SELECT f_stats(); $$;
CREATE FUNCTION f_since(rpc text) RETURNS int LANGUAGE sql AS $$
  SELECT coalesce((f_stats()->'rpcs'->>rpc)::int, 0) - coalesce((s->'rpcs'->>rpc)::int, 0)
  FROM f_mark_t $$;
CREATE FUNCTION f_stat_since(key text) RETURNS int LANGUAGE sql AS $$
  SELECT coalesce((f_stats()->>key)::int, 0) - coalesce((s->>key)::int, 0) FROM f_mark_t $$;
-- a whole-table fingerprint, to compare the two paths
CREATE FUNCTION f_fp(tbl regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(t::text, %L ORDER BY t::text)) || %L || count(*) FROM %s t',
                 '|', '/', tbl) INTO r;
  RETURN r;
END $$;
-- run a statement; 'ok', or its SQLSTATE and what the DETAIL says of the
-- attempts made
CREATE FUNCTION f_try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; d text;
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, d = PG_EXCEPTION_DETAIL;
  RETURN st || coalesce(' ' || substring(d from 'The request was made [^' || chr(10) || ']*'), '');
END $$;
SELECT f_fp('fdirect."Singers"') AS singers_fp, f_fp('fdirect."AllTypes"') AS alltypes_fp \gset
SELECT count(*) FROM fviapx."Singers";

-- ===================================================================
-- retry_timeout: seconds (fractions allowed), 0 turns retries off
-- ===================================================================
ALTER SERVER fpx OPTIONS (ADD retry_timeout '-1');
ALTER SERVER fpx OPTIONS (ADD retry_timeout 'soon');
ALTER SERVER fpx OPTIONS (ADD retry_timeout '3601');
ALTER SERVER fpx OPTIONS (ADD retry_timeout 'NaN');
ALTER SERVER fpx OPTIONS (ADD retry_tmeout '1');
ALTER SERVER fpx OPTIONS (ADD retry_timeout '2.5');
ALTER SERVER fpx OPTIONS (DROP retry_timeout);

-- ===================================================================
-- UNAVAILABLE (503) before any data: repeated, every row exactly once
-- ===================================================================
SELECT f_config('{"fault": "unavailable", "fault_rpc": "executeStreamingSql", "fault_times": 2}');
SELECT f_mark();
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;
SELECT f_since('executeStreamingSql') AS queries, f_stats()->'faults'->>'unavailable' AS injected;
-- the same on a session creation (a new connection)
SELECT spanner_fdw_disconnect('fpx');
SELECT f_config('{"fault": "unavailable", "fault_rpc": "sessions", "fault_times": 2}');
SELECT f_mark();
SELECT f_fp('fviapx."AllTypes"') = :'alltypes_fp' AS same_alltypes;
SELECT f_since('sessions') AS session_creations, f_since('executeStreamingSql') AS queries;
-- a key lookup (the Read API)
SELECT f_config('{"fault": "unavailable", "fault_rpc": "streamingRead", "fault_times": 1}');
SELECT f_mark();
SELECT "SingerId", "FirstName" FROM fviapx."Singers" WHERE "SingerId" = 7;
SELECT f_since('streamingRead') + f_since('executeStreamingSql') AS requests;
-- a 502 page of a balancer in front of Spanner, and 500 INTERNAL "Received
-- unexpected EOS on DATA frame from server" (a broken HTTP/2 stream)
SELECT f_config('{"fault": "http", "fault_http": 502, "fault_rpc": "executeStreamingSql", "fault_times": 1}');
SELECT f_mark();
SELECT count(*) FROM (SELECT FROM fviapx."Singers" OFFSET 0) s;
SELECT f_since('executeStreamingSql') AS queries;
SELECT f_config('{"fault": "eos", "fault_rpc": "executeStreamingSql", "fault_times": 2}');
SELECT f_mark();
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;
SELECT f_since('executeStreamingSql') AS queries;

-- ===================================================================
-- RESOURCE_EXHAUSTED (429) with RetryInfo: repeated after the delay asked
-- ===================================================================
SELECT f_config('{"fault": "exhausted", "fault_retry_delay": "0.4s", "fault_rpc": "executeStreamingSql", "fault_times": 2}');
SELECT f_mark();
SELECT clock_timestamp() AS t0 \gset
SELECT f_fp('fviapx."AllTypes"') = :'alltypes_fp' AS same_alltypes;
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.8 s' AS waited;
SELECT f_since('executeStreamingSql') AS queries;

-- ===================================================================
-- a stream broken after some messages (INTERNAL "unexpected EOS" element,
-- a dropped connection, a truncated body) is resumed from the last token:
-- every row exactly once
-- ===================================================================
-- (a break that comes with the first message: the request resumes in the
-- transaction that message began, never begins another)
CREATE FUNCTION f_clear_requests() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
    format('curl -s -X POST %s/__requests/clear >/dev/null', current_setting('spanner_test.fpxurl')));
END $$;
CREATE FUNCTION f_requests() RETURNS TABLE (rpc text, txn text) LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE f_out;
  EXECUTE format('COPY f_out FROM PROGRAM %L',
    format('curl -s %s/__requests', current_setting('spanner_test.fpxurl')));
  RETURN QUERY SELECT t::jsonb->>'rpc', t::jsonb->>'txn' FROM f_out;
END $$;
SELECT f_clear_requests();
SELECT f_config('{"split": 1, "error_after": 1, "error_times": 1, "error_code": 13, "error_message": "Received unexpected EOS on DATA frame from server"}');
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;
SELECT txn, count(*) FROM f_requests() WHERE rpc = 'executeStreamingSql' GROUP BY txn ORDER BY txn;
-- (each resume is logged at DEBUG1 with its cause)
SELECT f_config('{"split": 5, "error_after": 3, "error_times": 1, "error_code": 13, "error_message": "Received unexpected EOS on DATA frame from server"}');
SELECT f_mark();
SET client_min_messages = debug1;
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;
RESET client_min_messages;
SELECT f_stat_since('errors') AS broken, f_stat_since('resumed') AS resumed;
SELECT f_config('{"cut_after": 4, "cut_times": 1, "error_message": ""}');
SELECT f_mark();
SELECT f_fp('fviapx."AllTypes"') = :'alltypes_fp' AS same_alltypes;
SELECT f_stat_since('cuts') AS cuts, f_stat_since('resumed') AS resumed;
SELECT f_config('{"fault": "truncate", "fault_rpc": "executeStreamingSql", "fault_times": 1}');
SELECT f_mark();
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;
SELECT f_since('executeStreamingSql') AS queries;
-- a truncated answer to a session creation, and a connection reset before
-- the answer: repeated
SELECT spanner_fdw_disconnect('fpx');
SELECT f_config('{"fault": "truncate", "fault_rpc": "sessions", "fault_times": 1}');
SELECT f_mark();
SELECT count(*) FROM (SELECT FROM fviapx."Singers" OFFSET 0) s;
SELECT f_since('sessions') AS session_creations;
SELECT f_config('{"fault": "reset", "fault_rpc": "executeStreamingSql", "fault_times": 1}');
SELECT f_mark();
SELECT count(*) FROM (SELECT FROM fviapx."Singers" OFFSET 0) s;
SELECT f_since('executeStreamingSql') AS queries;

-- ===================================================================
-- session not found: a new session, the query made again
-- ===================================================================
SELECT f_config('{"session_gone_times": 1}');
SELECT f_mark();
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;
SELECT f_since('sessions') AS session_creations, f_since('executeStreamingSql') AS queries;

-- ===================================================================
-- not retried: 401, a garbage body (08P01)
-- ===================================================================
SELECT f_config('{"fault": "unauthenticated", "fault_rpc": "executeStreamingSql", "fault_times": 1}');
SELECT f_mark();
SELECT count(*) FROM fviapx."Singers";
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('executeStreamingSql') AS queries;
SELECT f_config('{"fault": "garbage", "fault_rpc": "executeStreamingSql", "fault_times": 1}');
SELECT f_mark();
SELECT count(*) FROM fviapx."Singers";
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('executeStreamingSql') AS queries;
SELECT count(*) FROM fviapx."Singers";

-- ===================================================================
-- a stall: statement_timeout ends the wait, promptly; nothing repeated
-- ===================================================================
SELECT f_config('{"fault": "stall", "fault_stall": 30, "fault_rpc": "executeStreamingSql", "fault_times": 1}');
SELECT f_mark();
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM fviapx."Singers";
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS stopped_promptly;
SELECT f_since('executeStreamingSql') AS queries;
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;

-- ===================================================================
-- the bounds: retry_timeout (the DETAIL says how often the request was
-- made), retry_timeout 0, statement_timeout
-- ===================================================================
ALTER SERVER fpx OPTIONS (ADD retry_timeout '1.5');
SELECT f_config('{"fault": "unavailable", "fault_rpc": "executeStreamingSql", "fault_times": 1000}');
SELECT f_mark();
SELECT clock_timestamp() AS t0 \gset
SELECT f_try('SELECT count(*) FROM fviapx."Singers"') AS r \gset
SELECT clock_timestamp() - :'t0'::timestamptz < interval '10 s' AS bounded;
SELECT regexp_replace(:'r', '[0-9]+ times', 'N times') AS result,
       substring(:'r' from '([0-9]+) times')::int = f_since('executeStreamingSql') AS proxy_saw_them,
       substring(:'r' from '([0-9]+) times')::int >= 2 AS repeated;
ALTER SERVER fpx OPTIONS (SET retry_timeout '0');
SELECT f_config('{"fault_times": 1}');
SELECT f_mark();
SELECT count(*) FROM fviapx."Singers";
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('executeStreamingSql') AS queries;
ALTER SERVER fpx OPTIONS (DROP retry_timeout);
-- a wait Spanner asks for that would pass statement_timeout: the error at
-- once, not a cancel later
SELECT f_config('{"fault": "exhausted", "fault_retry_delay": "30s", "fault_times": 1}');
SELECT f_mark();
SET statement_timeout = '5s';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM fviapx."Singers";
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '4 s' AS at_once;
SELECT f_since('executeStreamingSql') AS queries;

-- ===================================================================
-- pg_cancel_backend during the wait ends it at once
-- ===================================================================
SELECT f_config('{"fault": "exhausted", "fault_retry_delay": "30s", "fault_times": 1}');
SELECT f_mark();
SELECT format('(sleep 1; psql -X -q -h %s -p %s -d %s -c %s) </dev/null >/dev/null 2>&1 &',
  split_part(current_setting('unix_socket_directories'), ',', 1),
  current_setting('port'), quote_ident(current_database()),
  quote_literal(format('SELECT pg_cancel_backend(%s)', pg_backend_pid()))) AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM fviapx."Singers";
-- (generous: the canceller's own connection is slow under valgrind)
SELECT clock_timestamp() - :'t0'::timestamptz < interval '30 s' AS stopped_promptly;
SELECT f_since('executeStreamingSql') AS queries;
SELECT f_config('{"fault_times": 0}');
SELECT f_fp('fviapx."Singers"') = :'singers_fp' AS same_singers;

-- ===================================================================
-- writes: DML is made again with the same seqno, a commit never
-- ===================================================================
SELECT count(*) FROM fviapx.kv WHERE k BETWEEN 7000 AND 7999;
-- a statement that begins its read-write transaction inline is made again
-- on a new session (the old one may hold the transaction begun): the read
-- of an UPDATE that addresses rows one by one ...
EXPLAIN (VERBOSE, COSTS OFF) UPDATE fviapx.kv SET n = n + 1 WHERE k = 7000;
SELECT f_config('{"fault": "unavailable", "fault_rpc": "streamingRead", "fault_times": 1}');
SELECT f_mark();
UPDATE fviapx.kv SET n = n + 1 WHERE k = 7000;
SELECT f_since('streamingRead') AS reads, f_since('sessions') AS new_sessions;
-- ... and an UPDATE Spanner runs whole (one DML statement)
EXPLAIN (VERBOSE, COSTS OFF) UPDATE fviapx.kv SET v = 'direct', n = 5 WHERE k = 7001;
SELECT f_config('{"fault": "unavailable", "fault_rpc": "executeSql", "fault_times": 1}');
SELECT f_mark();
UPDATE fviapx.kv SET v = 'direct', n = 5 WHERE k = 7001;
SELECT f_since('executeSql') AS dml, f_since('sessions') AS new_sessions;
SELECT k, v, n FROM fdirect.kv WHERE k IN (7000, 7001) ORDER BY k;
-- DML in a transaction Spanner knows: the same request (seqno) again
SELECT f_mark();
BEGIN;
UPDATE fviapx.kv SET n = n + 1 WHERE k = 7000;
SELECT f_config('{"fault": "exhausted", "fault_retry_delay": "0.1s", "fault_rpc": "executeSql", "fault_times": 2}');
UPDATE fviapx.kv SET n = n + 10 WHERE k = 7000;
COMMIT;
SELECT f_since('executeSql') AS dml;
SELECT n FROM fdirect.kv WHERE k = 7000;
-- the answer to a DML statement lost after Spanner ran it: the same
-- request again, which Spanner answers without running it twice
SELECT f_mark();
BEGIN;
UPDATE fviapx.kv SET n = n + 1 WHERE k = 7000;
SELECT f_config('{"fault": "drop", "fault_rpc": "executeSql", "fault_times": 1}');
UPDATE fviapx.kv SET n = n + 100 WHERE k = 7000;
COMMIT;
SELECT f_since('executeSql') AS dml;
SELECT n FROM fdirect.kv WHERE k = 7000;
-- partitioned DML whose answer is cut after Spanner ran it: the same
-- request in the same partitioned transaction (one begin), which Spanner
-- answers without running it again; run twice, the second run would find
-- no row left to change (UPDATE 0)
SET spanner_fdw.partitioned_dml = on;
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE fviapx.kv SET v = 'pdml' WHERE k BETWEEN 7000 AND 7001 AND v <> 'pdml';
SELECT f_config('{"fault": "truncate", "fault_rpc": "executeSql", "fault_times": 1}');
SELECT f_mark();
\set QUIET off
UPDATE fviapx.kv SET v = 'pdml' WHERE k BETWEEN 7000 AND 7001 AND v <> 'pdml';
\set QUIET on
SELECT f_since('executeSql') AS dml, f_since('beginTransaction') AS begins;
-- ... an error answer from Spanner (UNAVAILABLE twice): begun anew each
-- time (what such a statement sets does not depend on the rows' values)
SELECT f_config('{"fault": "unavailable", "fault_rpc": "executeSql", "fault_times": 2}');
SELECT f_mark();
\set QUIET off
UPDATE fviapx.kv SET v = 'faults' WHERE k BETWEEN 7000 AND 7001 AND v <> 'faults';
\set QUIET on
SELECT f_since('executeSql') AS dml, f_since('beginTransaction') AS begins;
-- ... and a lost begin: made again
SELECT f_config('{"fault": "drop", "fault_rpc": "beginTransaction", "fault_times": 1}');
SELECT f_mark();
\set QUIET off
UPDATE fviapx.kv SET v = 'pdml' WHERE k BETWEEN 7000 AND 7001 AND v <> 'pdml';
\set QUIET on
SELECT f_since('executeSql') AS dml, f_since('beginTransaction') AS begins;
-- ... an answer lost, then the session gone: not run again (08007); the
-- first request was applied
SELECT f_config('{"fault": "truncate", "fault_rpc": "executeSql", "fault_times": 1, "fault_next": {"fault": "session_gone", "fault_rpc": "executeSql", "fault_times": 1}}');
SELECT f_mark();
UPDATE fviapx.kv SET v = 'faults' WHERE k BETWEEN 7000 AND 7001 AND v <> 'faults';
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('executeSql') AS dml, f_since('beginTransaction') AS begins;
SELECT k, v FROM fdirect.kv WHERE k IN (7000, 7001) ORDER BY k;
-- ... the session gone before the statement ran: begun anew on a new one
-- (two new sessions: the last statement dropped the one that was gone)
SELECT f_config('{"fault": "session_gone", "fault_rpc": "executeSql", "fault_times": 1}');
SELECT f_mark();
\set QUIET off
UPDATE fviapx.kv SET v = 'pdml' WHERE k BETWEEN 7000 AND 7001 AND v <> 'pdml';
\set QUIET on
SELECT f_since('executeSql') AS dml, f_since('beginTransaction') AS begins,
       f_since('sessions') AS new_sessions;
SELECT k, v FROM fdirect.kv WHERE k IN (7000, 7001) ORDER BY k;
UPDATE fdirect.kv SET v = 'faults' WHERE k = 7000;
UPDATE fdirect.kv SET v = 'direct' WHERE k = 7001;
RESET spanner_fdw.partitioned_dml;
-- a block that read before its first write: its read-only snapshot lives
-- on the session, so the request that would begin the read-write
-- transaction is not made again
SELECT f_mark();
BEGIN;
SELECT n FROM fviapx.kv WHERE k = 7001;
SELECT f_config('{"fault": "unavailable", "fault_rpc": "streamingRead", "fault_times": 1}');
UPDATE fviapx.kv SET n = n + 1 WHERE k = 7001;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT f_since('streamingRead') AS reads;
SELECT n FROM fviapx.kv WHERE k = 7001;
-- a commit that meets UNAVAILABLE: its outcome is unknown, never repeated
SELECT f_config('{"fault": "unavailable", "fault_rpc": "commit", "fault_times": 1}');
SELECT f_mark();
BEGIN;
UPDATE fviapx.kv SET n = n + 1 WHERE k = 7001;
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('commit') AS commits;
-- a commit answered with a body that cannot be read: unknown too
SELECT f_config('{"fault": "garbage", "fault_body": "<html>ok</html>", "fault_rpc": "commit", "fault_times": 1}');
BEGIN;
UPDATE fviapx.kv SET n = n + 1 WHERE k = 7001;
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
-- an aborted commit: a block is 40001 (its reads cannot be replayed here),
-- buffered autocommit mutations are committed again
SELECT f_config('{"commit_abort_times": 1, "commit_retry_delay": "0s"}');
SELECT f_mark();
BEGIN;
UPDATE fviapx.kv SET n = n + 100 WHERE k = 7001;
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('commit') AS commits;
SELECT f_config('{"commit_abort_times": 2, "commit_retry_delay": "0.1s"}');
SELECT f_mark();
INSERT INTO fviapx.kv (k, v, n) VALUES (7002, 'faults', 1);
SELECT f_since('commit') AS commits;
-- ... but not past retry_timeout: a 1 s RetryInfo with a 0.5 s budget
-- is not waited for (40001, made once, nothing written)
ALTER SERVER fwx OPTIONS (ADD retry_timeout '0.5');
SELECT f_config('{"commit_abort_times": 3, "commit_retry_delay": "1s"}');
SELECT f_mark();
INSERT INTO fviapx.kv (k, v, n) VALUES (7003, 'faults', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT f_since('commit') AS commits;
SELECT f_config('{"commit_abort_times": 0}');
ALTER SERVER fwx OPTIONS (DROP retry_timeout);
SELECT k, v, n FROM fdirect.kv WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
-- a rollback that meets UNAVAILABLE is made again: the transaction's locks
-- go at once, and the session is kept
SELECT f_config('{"fault": "unavailable", "fault_rpc": "rollback", "fault_times": 1}');
SELECT f_mark();
BEGIN;
UPDATE fviapx.kv SET n = n + 1000 WHERE k = 7001;
ROLLBACK;
SELECT f_since('rollback') AS rollbacks;
SELECT f_mark();
SELECT n FROM fviapx.kv WHERE k = 7001;
SELECT f_since('sessions') AS new_sessions;
SELECT n FROM fdirect.kv WHERE k = 7001;

-- stop the proxy
SELECT format('cat >/dev/null; kill %s', pg_read_file(:'pxfile' || '.pid')) AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
DELETE FROM fdirect.kv WHERE k BETWEEN 7000 AND 7999;
\set VERBOSITY terse
DROP SCHEMA fdirect, fviapx CASCADE;
DROP SERVER fpx, fwd, fwx CASCADE;
\set VERBOSITY default
DROP FUNCTION f_config(text), f_stats(), f_mark(), f_since(text), f_stat_since(text),
  f_fp(regclass), f_try(text), f_clear_requests(), f_requests();
DROP TABLE f_out, f_mark_t;
