-- ===================================================================
-- commit: production's commit failures, through the fault proxy in front
-- of the emulator: ABORTED with RetryInfo (repeated inside the FDW only for
-- an autocommit statement whose writes are all buffered mutations, 40001
-- otherwise), and a commit whose answer never arrives (08007, never
-- repeated); what Spanner holds is checked from a second connection
-- ===================================================================
SET TimeZone = 'UTC';
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance \gset
-- the write tests' server, foreign tables and second-session helper (each
-- of the write suites can run alone)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE SERVER IF NOT EXISTS wr FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER wr OPTIONS (auth 'none');
CREATE SCHEMA IF NOT EXISTS w;
SELECT to_regclass('w.kv') IS NULL AS need_import \gset
\if :need_import
IMPORT FOREIGN SCHEMA public FROM SERVER wr INTO w;
\endif
RESET client_min_messages;
SET search_path = w, public;
-- what a second session sees (it only reads)
CREATE OR REPLACE FUNCTION public.peer(q text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT t FROM dblink('dbname=' || current_database() || ' port=' || current_setting('port'),
                       'SET search_path = w; SELECT x::text FROM (' || q || ') AS x') AS r(t text)
$$;
SELECT current_setting('spanner_test.standins') || '/fault_proxy.py' AS proxy,
       current_setting('data_directory') || '/fault_proxy_commit' AS pxfile \gset
SELECT format('python3 %s --upstream %s --port-file %s --pid-file %s --daemon </dev/null >/dev/null 2>&1',
  :'proxy', :'endpoint', :'pxfile' || '.port', :'pxfile' || '.pid') AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT 'http://127.0.0.1:' || pg_read_file(:'pxfile' || '.port') AS pxurl \gset
CREATE SERVER cpx FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'pxurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER cpx OPTIONS (auth 'none');
CREATE FOREIGN TABLE ckv (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER cpx OPTIONS (table_name 'kv');
SELECT set_config('spanner_test.cpxurl', :'pxurl', false) IS NOT NULL AS ok;
CREATE FUNCTION cpx_config(cfg text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT %L) TO PROGRAM %L', cfg,
    format('curl -s -X POST --data-binary @- %s/__config >/dev/null',
           current_setting('spanner_test.cpxurl')));
END $$;
CREATE TABLE cpx_out (t text);
CREATE FUNCTION cpx_stat(name text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  TRUNCATE cpx_out;
  EXECUTE format('COPY cpx_out FROM PROGRAM %L',
    format('curl -s %s/__stats', current_setting('spanner_test.cpxurl')));
  SELECT t INTO r FROM cpx_out;
  RETURN (r::jsonb ->> name)::bigint;
END $$;
DELETE FROM kv WHERE k >= 100;

-- an autocommit INSERT of buffered mutations: aborted commits are repeated,
-- after the delay Spanner's RetryInfo asks for (2 x 1 s here)
SELECT cpx_config('{"commit_abort_times": 2, "commit_retry_delay": "1s"}');
SELECT clock_timestamp() AS t0 \gset
INSERT INTO ckv (k, v, n) VALUES (100, 'retried', 1);
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '2 s' AS waited;
SELECT cpx_stat('commits_aborted') AS aborted, cpx_stat('commits') AS commits;
SELECT * FROM peer('SELECT k || '':'' || v FROM kv WHERE k >= 100 ORDER BY k');
-- the same, RetryInfo-less aborts: a short jittered backoff
SELECT cpx_config('{"commit_abort_times": 3, "commit_retry_delay": ""}');
INSERT INTO ckv (k, v, n) VALUES (101, 'retried', 1);
SELECT cpx_stat('commits_aborted') AS aborted;
-- a bounded number of attempts: then 40001, and nothing written
SELECT cpx_config('{"commit_abort_times": 50, "commit_retry_delay": "0.01s"}');
\set VERBOSITY default
INSERT INTO ckv (k, v, n) VALUES (102, 'never', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT cpx_stat('commits_aborted') AS aborted;
SELECT cpx_config('{"commit_abort_times": 0}');
SELECT * FROM peer('SELECT count(*) FROM kv WHERE k = 102');

-- a transaction block is not repeated: its reads cannot be replayed here
SELECT cpx_config('{"commit_abort_times": 1, "commit_retry_delay": "0s"}');
BEGIN;
INSERT INTO ckv (k, v, n) VALUES (103, 'block', 1);
UPDATE ckv SET n = n + 1 WHERE k = 100;
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM peer('SELECT k || '':'' || n FROM kv WHERE k >= 100 ORDER BY k');
-- nor is an autocommit statement that read inside its transaction
SELECT cpx_config('{"commit_abort_times": 1}');
UPDATE ckv SET n = n + 1 WHERE k = 100;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM peer('SELECT n FROM kv WHERE k = 100');

-- the answer to a commit never arrives: the outcome is unknown, said so,
-- and the commit is not repeated (here it was applied, once; libcurl would
-- silently send it again on the reused connection)
SELECT cpx_config('{"commit_drop_times": 1}');
BEGIN;
UPDATE ckv SET n = n + 10 WHERE k = 100;
\set VERBOSITY terse
COMMIT;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM peer('SELECT n FROM kv WHERE k = 100');
SELECT cpx_config('{"commit_drop_times": 1}');
INSERT INTO ckv (k, v, n) VALUES (104, 'dropped', 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT cpx_stat('commits_dropped') AS dropped;
SELECT * FROM peer('SELECT k || '':'' || v FROM kv WHERE k >= 100 ORDER BY k');
-- and the connection goes on working
INSERT INTO ckv (k, v, n) VALUES (105, 'after', 1);
SELECT count(*) FROM ckv WHERE k >= 100;

-- REPEATABLE READ blocks ask for Spanner's REPEATABLE_READ isolation; where
-- it is refused (the emulator), once per connection, then serializable
SELECT cpx_stat('requests') AS r0 \gset
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ckv WHERE k = 100;
COMMIT;
SELECT cpx_stat('requests') - :r0 AS first_block_requests, cpx_stat('requests') AS r1 \gset
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ckv WHERE k = 100;
COMMIT;
SELECT :first_block_requests AS first_block, cpx_stat('requests') - :r1 AS second_block;
-- where Spanner takes it (production), every such block asks for it
SELECT cpx_config('{"accept_isolation": true}');
SELECT spanner_fdw_disconnect('cpx');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ckv WHERE k = 100;
UPDATE ckv SET n = n + 1 WHERE k = 100;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ckv WHERE k = 100;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM ckv WHERE k = 100;
COMMIT;
SELECT cpx_stat('isolation_repeatable_read') AS asked;
SELECT cpx_config('{"accept_isolation": false}');

-- a read-write transaction lost with its session (production's 404
-- "Session not found"): the block can no longer commit, even after ROLLBACK
-- TO SAVEPOINT.  (On a database of its own: the emulator's real session
-- keeps the transaction open.)
CREATE SERVER cpx2 FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes2', endpoint :'pxurl');
CREATE USER MAPPING FOR CURRENT_USER SERVER cpx2 OPTIONS (auth 'none');
CREATE FOREIGN TABLE ckv2 (k bigint OPTIONS (key 'true'), v text, n bigint)
  SERVER cpx2 OPTIONS (table_name 'kv');
BEGIN;
INSERT INTO ckv2 (k, v, n) VALUES (1, 'lost', 1);
SAVEPOINT a;
SELECT cpx_config('{"session_gone_times": 1}');
SELECT count(*) FROM ckv2;
ROLLBACK TO SAVEPOINT a;
COMMIT;
\echo :LAST_ERROR_SQLSTATE

-- stop the proxy
SELECT format('cat >/dev/null; kill %s', pg_read_file(:'pxfile' || '.pid')) AS killcmd \gset
COPY (SELECT 1) TO PROGRAM :'killcmd';
