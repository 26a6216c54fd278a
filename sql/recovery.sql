-- ===================================================================
-- recovery: a Spanner session that disappears under a cached
-- connection is replaced transparently when no transaction state lived
-- on it, and is a clear 40001 otherwise; PREPARE TRANSACTION is refused
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
CREATE FOREIGN TABLE rec_genres (genre_id bigint OPTIONS (spanner_type 'INT64'),
  name text OPTIONS (spanner_type 'STRING(64)')) SERVER sp OPTIONS (table_name 'genres');
CREATE TABLE rec_out (t text);
-- delete every session of the database over REST, as Spanner does when a
-- session expires; returns how many were deleted
CREATE FUNCTION spanner_delete_sessions() RETURNS int LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  TRUNCATE rec_out;
  EXECUTE format('COPY rec_out FROM PROGRAM %L',
    format('python3 -c %s %s %s',
      quote_literal(
        'import json,sys,urllib.request as u' || chr(10) ||
        'b=sys.argv[1]+"/v1/"; db=sys.argv[2]' || chr(10) ||
        's=json.load(u.urlopen(b+db+"/sessions?pageSize=1000")).get("sessions",[])' || chr(10) ||
        'for x in s: u.urlopen(u.Request(b+x["name"],method="DELETE")).read()' || chr(10) ||
        'print(len(s))'),
      current_setting('spanner_test.endpoint'),
      format('projects/%s/instances/%s/databases/test',
             current_setting('spanner_test.project'), current_setting('spanner_test.instance'))));
  SELECT t INTO r FROM rec_out;
  RETURN r::int;
END $$;

SELECT count(*) FROM rec_genres;
-- outside a transaction block: a new session, the query retried
SELECT spanner_delete_sessions() >= 1 AS deleted;
SELECT count(*) FROM rec_genres;
SELECT server_name, valid, session_count FROM spanner_fdw_get_connections() WHERE server_name = 'sp';
SELECT count(*) FROM rec_genres WHERE genre_id > 4;
-- a transaction block whose first statement finds the session gone: the
-- same (nothing of the transaction lived on the old session)
BEGIN;
SELECT spanner_delete_sessions() >= 1 AS deleted;
SELECT count(*) FROM rec_genres;
SELECT name FROM rec_genres WHERE genre_id = 3;
COMMIT;
-- a transaction block whose snapshot went with the session: 40001, and
-- every later statement of the block fails the same way
BEGIN;
SELECT count(*) FROM rec_genres;
SELECT spanner_delete_sessions() >= 1 AS deleted;
SELECT count(*) FROM rec_genres;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT count(*) FROM rec_genres;
SELECT spanner_delete_sessions() >= 1 AS deleted;
SAVEPOINT s1;
SELECT count(*) FROM rec_genres;
ROLLBACK TO SAVEPOINT s1;
SELECT count(*) FROM rec_genres;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the next transaction is fine
SELECT count(*) FROM rec_genres;

-- Spanner has no two-phase commit
BEGIN;
SELECT count(*) FROM rec_genres;
PREPARE TRANSACTION 'sp_rec';
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM rec_genres;

DROP FUNCTION spanner_delete_sessions();
DROP TABLE rec_out;
DROP FOREIGN TABLE rec_genres;
