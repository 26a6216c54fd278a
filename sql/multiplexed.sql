-- ===================================================================
-- multiplexed: production's multiplexed sessions, through the fault proxy
-- in front of the emulator (which makes a regular session of the request):
-- one session for every transaction, read-write commits carrying the
-- latest precommit token, a commit answered with a new token committed
-- again without its mutations, a refused token, a session that is never
-- deleted and is replaced when Spanner says it is gone.  What Spanner holds
-- is checked through a server without the proxy.
-- ===================================================================
SET TimeZone = 'UTC';
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance,
       current_setting('spanner_test.standins') || '/fault_proxy.py' AS proxy,
       current_setting('data_directory') || '/fault_proxy_mux' AS pxfile \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
-- what Spanner holds, without the proxy
CREATE SERVER IF NOT EXISTS wr FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER wr OPTIONS (auth 'none');
RESET client_min_messages;
CREATE FOREIGN TABLE mx_held (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER wr OPTIONS (table_name 'kv');

-- the proxy (its own session, at most 600 s; killed at the end)
SELECT format('python3 %s --upstream %s --port-file %s --pid-file %s --daemon </dev/null >/dev/null 2>&1',
  :'proxy', :'endpoint', :'pxfile' || '.port', :'pxfile' || '.pid') AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT 'http://127.0.0.1:' || pg_read_file(:'pxfile' || '.port') AS pxurl \gset
SELECT set_config('spanner_test.mxurl', :'pxurl', false) IS NOT NULL AS ok;
CREATE FUNCTION mx_config(cfg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT %L) TO PROGRAM %L', cfg,
    format('curl -s -X POST --data-binary @- %s/__config >/dev/null',
           current_setting('spanner_test.mxurl')));
END $$;
CREATE TABLE mx_out (t text);
-- the proxy's counters of multiplexed sessions
CREATE FUNCTION mx_stats() RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  TRUNCATE mx_out;
  EXECUTE format('COPY mx_out FROM PROGRAM %L',
    format('curl -s %s/__stats', current_setting('spanner_test.mxurl')));
  SELECT t INTO r FROM mx_out;
  RETURN r::jsonb -> 'mux';
END $$;
CREATE FUNCTION mx_stat(name text) RETURNS bigint LANGUAGE sql AS $$
  SELECT (mx_stats() ->> name)::bigint
$$;
-- what the proxy saw of the last commits: seqNum sent, mutations, outcome
CREATE FUNCTION mx_commits(n int) RETURNS TABLE (seq int, mutations int, outcome text)
LANGUAGE sql AS $$
  SELECT (e ->> 'seq')::int, (e ->> 'mutations')::int, e ->> 'outcome'
  FROM (SELECT e, row_number() OVER () AS i
        FROM jsonb_array_elements(mx_stats() -> 'commit_log') AS e) x
  WHERE i > jsonb_array_length(mx_stats() -> 'commit_log') - n
  ORDER BY i
$$;
SELECT mx_config('{"multiplexed": true}');
CREATE SERVER mx FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'pxurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER mx OPTIONS (auth 'none');
CREATE FOREIGN TABLE mkv (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER mx OPTIONS (table_name 'kv');
DELETE FROM mx_held WHERE k BETWEEN 7000 AND 7999;

-- ===================================================================
-- reads: one session create, the session answered as multiplexed
-- ===================================================================
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
SELECT mx_stat('session_creates') AS creates;
SELECT server_name, valid, session_count FROM spanner_fdw_get_connections() WHERE server_name = 'mx';

-- ===================================================================
-- autocommit INSERT: buffered mutations in one single-use commit (no
-- token, as production takes it on a multiplexed session)
-- ===================================================================
INSERT INTO mkv VALUES (7001, 'a', 1), (7002, 'b', 2), (7003, 'c', 3);
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
SELECT mx_stat('commits_single_use') AS single_use, mx_stat('commits_with_token') AS with_token;

-- ===================================================================
-- DML in a block: reads, writes and the commit in one read-write
-- transaction; the commit carries the latest token (else the proxy would
-- refuse it)
-- ===================================================================
BEGIN;
INSERT INTO mkv VALUES (7004, 'd', 4), (7005, 'e', 5);
UPDATE mkv SET n = n * 10 WHERE k IN (7001, 7004);
SELECT k, v, n FROM mkv WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
DELETE FROM mkv WHERE k = 7002;
COMMIT;
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
SELECT * FROM mx_commits(1);
SELECT mx_stat('commits_with_token') AS with_token, mx_stat('commits_refused') AS refused;

-- RETURNING, in autocommit (a read-write transaction begun inline) and in
-- a block
INSERT INTO mkv VALUES (7006, 'f', 6) RETURNING k, v, n;
UPDATE mkv SET v = v || '!' WHERE k IN (7005, 7006) RETURNING k, v;
BEGIN;
DELETE FROM mkv WHERE k = 7006 RETURNING k, v;
INSERT INTO mkv VALUES (7007, 'g', 7) RETURNING *;
COMMIT;
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
SELECT count(*) AS refused FROM mx_commits(10) WHERE outcome <> 'committed' AND outcome <> 'single-use';

-- ===================================================================
-- rollback: nothing reaches Spanner
-- ===================================================================
BEGIN;
INSERT INTO mkv VALUES (7010, 'x', 10);
UPDATE mkv SET n = 0 WHERE k = 7001;
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
ROLLBACK;
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;

-- ===================================================================
-- a read-only snapshot and a read-write transaction open at once on the
-- one session: a cursor keeps reading its snapshot after the block's first
-- write
-- ===================================================================
BEGIN;
DECLARE c CURSOR FOR SELECT k, n FROM mkv WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
FETCH 2 FROM c;
UPDATE mkv SET n = n + 1 WHERE k = 7007;
FETCH ALL FROM c;
SELECT k, n FROM mkv WHERE k = 7007;
COMMIT;
SELECT * FROM mx_held WHERE k = 7007;

-- ===================================================================
-- the commit answered with a new precommit token (not committed yet): the
-- FDW commits again with it and without the mutations, which Spanner keeps
-- (the proxy forwards the kept ones plus any re-sent: sending them twice
-- would insert twice and fail)
-- ===================================================================
SELECT mx_config('{"commit_precommit_retry_times": 1}');
BEGIN;
INSERT INTO mkv VALUES (7020, 'r', 20), (7021, 's', 21);
UPDATE mkv SET n = n + 100 WHERE k = 7001;
COMMIT;
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
SELECT * FROM mx_commits(2);
-- a read-write transaction with buffered mutations (INSERT ... SELECT of
-- the same server): its mutations go with the first commit only; asked
-- twice in a row
SELECT mx_config('{"commit_precommit_retry_times": 2}');
INSERT INTO mkv SELECT k + 100, v, n FROM mkv WHERE k IN (7020, 7021);
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;
SELECT * FROM mx_commits(3);
SELECT mx_stat('commit_retries_asked') AS asked, mx_stat('recommits') AS recommits;
-- the token a commit answer asks for is taken even if its seqNum is not
-- higher than the one held
SELECT mx_config('{"commit_precommit_retry_times": 1, "commit_retry_same_seq": true}');
BEGIN;
UPDATE mkv SET n = n + 1000 WHERE k = 7001;
COMMIT;
SELECT mx_config('{"commit_retry_same_seq": false}');
SELECT * FROM mx_held WHERE k = 7001;
SELECT * FROM mx_commits(2);

-- ===================================================================
-- a refused token: the transaction missed its latest token, the commit is
-- refused (FAILED_PRECONDITION, 55000), never repeated, nothing written
-- ===================================================================
SELECT mx_stat('commits') AS commits_before \gset
BEGIN;
INSERT INTO mkv VALUES (7030, 'z', 30);
SELECT mx_config('{"precommit_withhold_times": 1}');
UPDATE mkv SET n = 999 WHERE k = 7001;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT mx_stat('commits') - :commits_before AS commits_sent, mx_stat('commits_refused') AS refused;
SELECT * FROM mx_held WHERE k BETWEEN 7000 AND 7999 ORDER BY k;

-- ===================================================================
-- partitioned DML on the multiplexed session
-- ===================================================================
SET spanner_fdw.partitioned_dml = on;
UPDATE mkv SET v = upper(v) WHERE k BETWEEN 7100 AND 7199;
RESET spanner_fdw.partitioned_dml;
SELECT k, v FROM mx_held WHERE k BETWEEN 7100 AND 7199 ORDER BY k;

-- ===================================================================
-- the session is never deleted, and is kept for the next connection:
-- still one create
-- ===================================================================
SELECT spanner_fdw_disconnect('mx');
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
SELECT mx_stat('session_creates') AS creates, mx_stat('session_deletes_refused') AS deletes;

-- ===================================================================
-- Spanner says the session is gone: a new one replaces it (outside a
-- transaction the query is repeated on it); inside a block whose snapshot
-- lived on it, 40001
-- ===================================================================
SELECT mx_config('{"mux_session_gone_times": 1}');
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
SELECT mx_stat('session_creates') AS creates, mx_stat('session_gone') AS gone;
BEGIN;
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
SELECT mx_config('{"mux_session_gone_times": 1}');
\set VERBOSITY terse
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
\set VERBOSITY default
ROLLBACK;
SELECT count(*) FROM mkv WHERE k BETWEEN 7000 AND 7999;
SELECT mx_stat('session_creates') AS creates, mx_stat('session_gone') AS gone;
SELECT mx_stat('commits_refused') AS refused, mx_stat('session_deletes_refused') AS deletes;

-- ===================================================================
-- clean up
-- ===================================================================
DELETE FROM mx_held WHERE k BETWEEN 7000 AND 7999;
SELECT spanner_fdw_disconnect('mx');
DROP FOREIGN TABLE mkv, mx_held;
DROP USER MAPPING FOR CURRENT_USER SERVER mx;
DROP SERVER mx;
DROP FUNCTION mx_commits(int), mx_stat(text), mx_stats(), mx_config(text);
DROP TABLE mx_out;
SELECT format('cat >/dev/null; kill %s', pg_read_file(:'pxfile' || '.pid')) AS killcmd \gset
COPY (SELECT 1) TO PROGRAM :'killcmd';
