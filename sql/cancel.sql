-- ===================================================================
-- cancel: statement_timeout and pg_cancel_backend stop a request that
-- Spanner does not answer, promptly, and the connection stays usable
-- ===================================================================
SET TimeZone = 'UTC';
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE SERVER IF NOT EXISTS sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
RESET client_min_messages;
CREATE FOREIGN TABLE cancel_ok (id bigint OPTIONS (column_name 'SingerId'))
  SERVER sp OPTIONS (table_name 'Singers');

-- A TCP listener that never answers (it never even accepts): every request
-- to it stalls.  It runs in its own session (a backend signals its whole
-- process group on cancel), lives at most 120 s and is killed at the end.
SELECT current_setting('data_directory') || '/stall' AS stall \gset
SELECT format('python3 -c %s %s </dev/null >/dev/null 2>&1',
  quote_literal('import socket,sys,time,os
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(64)
pid=os.fork()
if pid:
    open(sys.argv[1]+".pid","w").write(str(pid)); open(sys.argv[1]+".port","w").write(str(s.getsockname()[1])); os._exit(0)
os.setsid()
time.sleep(120)'), :'stall') AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT 'http://127.0.0.1:' || pg_read_file(:'stall' || '.port') AS stall_url \gset
CREATE SERVER stall FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project 'p', instance 'ii', database 'dd', endpoint :'stall_url', connect_timeout '60');
CREATE USER MAPPING FOR CURRENT_USER SERVER stall OPTIONS (auth 'none');
CREATE FOREIGN TABLE cancel_stall (id bigint) SERVER stall OPTIONS (table_name 't');

-- statement_timeout
SET statement_timeout = '1s';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM cancel_stall;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '5 s' AS stopped_promptly;
RESET statement_timeout;
SELECT count(*) FROM cancel_ok;

-- pg_cancel_backend from another session, one second into the request
SELECT format('(sleep 1; psql -X -q -h %s -p %s -d %s -c %s) </dev/null >/dev/null 2>&1 &',
  split_part(current_setting('unix_socket_directories'), ',', 1),
  current_setting('port'), quote_ident(current_database()),
  quote_literal(format('SELECT pg_cancel_backend(%s)', pg_backend_pid()))) AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM cancel_stall;
-- (generous: the canceller's own connection is slow under valgrind)
SELECT clock_timestamp() - :'t0'::timestamptz < interval '30 s' AS stopped_promptly;
SELECT count(*) FROM cancel_ok;
-- the same again inside a transaction block: the transaction is aborted,
-- the next one works
BEGIN;
SELECT count(*) FROM cancel_ok;
SET LOCAL statement_timeout = '1s';
SELECT * FROM cancel_stall;
ROLLBACK;
SELECT count(*) FROM cancel_ok;

-- stop the listener
SELECT format('cat >/dev/null; kill %s', pg_read_file(:'stall' || '.pid')) AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
\set VERBOSITY terse
DROP SERVER stall CASCADE;
\set VERBOSITY default
DROP FOREIGN TABLE cancel_ok;
