-- ===================================================================
-- snapshot: a transaction block reads one Spanner snapshot; autocommit
-- statements each read the latest data
-- ===================================================================
SET TimeZone = 'UTC';
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance,
       current_setting('spanner_test.standins') || '/spanner_write.py' AS writer \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE SERVER IF NOT EXISTS sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
RESET client_min_messages;
CREATE FOREIGN TABLE snap_genres (genre_id bigint, name text) SERVER sp OPTIONS (table_name 'genres');
-- commits a new name for genre 8 on Spanner, outside this session
CREATE FUNCTION spanner_set_genre_name(newname text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
    format('cat >/dev/null; python3 %s %s %s %s', current_setting('spanner_test.writer'),
           current_setting('spanner_test.endpoint'),
           format('projects/%s/instances/%s/databases/test',
                  current_setting('spanner_test.project'), current_setting('spanner_test.instance')),
           quote_literal(json_build_array(json_build_object('update', json_build_object(
             'table', 'genres', 'columns', json_build_array('genre_id', 'name'),
             'values', json_build_array(json_build_array('8', newname)))))::text)));
END $$;
SELECT set_config('spanner_test.writer', :'writer', false) IS NOT NULL AS ok;

SELECT name FROM snap_genres WHERE genre_id = 8;
-- in a transaction block, every statement sees the snapshot of the first
BEGIN;
SELECT name FROM snap_genres WHERE genre_id = 8;
SELECT spanner_set_genre_name('folk (changed)');
SELECT name FROM snap_genres WHERE genre_id = 8;
SELECT count(*) FROM snap_genres WHERE name = 'folk (changed)';
COMMIT;
-- a new transaction sees the change
SELECT name FROM snap_genres WHERE genre_id = 8;
-- autocommit statements each see the latest committed data
SELECT spanner_set_genre_name('folk 🎻');
SELECT name FROM snap_genres WHERE genre_id = 8;
-- a NUL inside a Spanner string cannot be stored in PostgreSQL text: an error
SELECT set_config('spanner_test.raw_name', '"folk\u0000nul"', false) IS NOT NULL AS ok;
DO $$ BEGIN
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
    format('cat >/dev/null; python3 %s %s %s %s', current_setting('spanner_test.writer'),
           current_setting('spanner_test.endpoint'),
           format('projects/%s/instances/%s/databases/test',
                  current_setting('spanner_test.project'), current_setting('spanner_test.instance')),
           '''[{"update":{"table":"genres","columns":["genre_id","name"],"values":[["8",'
             || current_setting('spanner_test.raw_name') || ']]}}]'''));
END $$;
SELECT name FROM snap_genres WHERE genre_id = 8;
SELECT spanner_set_genre_name('folk 🎻');
SELECT name FROM snap_genres WHERE genre_id = 8;
-- one statement with two scans of the table reads one snapshot
SELECT a.name = b.name AS same FROM snap_genres a, snap_genres b
  WHERE a.genre_id = 8 AND b.genre_id = 8;

-- ===================================================================
-- sessions: one per connection, reused, deleted on disconnect and when
-- the backend exits
-- ===================================================================
CREATE TABLE snap_out (t text);
CREATE FUNCTION spanner_session_count() RETURNS int LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  TRUNCATE snap_out;
  EXECUTE format('COPY snap_out FROM PROGRAM %L',
    format('curl -s %s/v1/projects/%s/instances/%s/databases/test/sessions?pageSize=1000 | python3 -c %s',
           current_setting('spanner_test.endpoint'), current_setting('spanner_test.project'),
           current_setting('spanner_test.instance'),
           quote_literal('import json,sys; print(len(json.load(sys.stdin).get("sessions", [])))')));
  SELECT t INTO r FROM snap_out;
  RETURN r::int;
END $$;
-- wait (up to 10 s) until the count is n
CREATE FUNCTION spanner_session_count_becomes(n int) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..100 LOOP
    IF spanner_session_count() = n THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT spanner_fdw_disconnect_all() IS NOT NULL AS disconnected;
SELECT spanner_session_count() AS n0 \gset
SELECT count(*) FROM snap_genres;
SELECT count(*) FROM snap_genres WHERE genre_id > 2;
SELECT spanner_session_count() = :n0 + 1 AS one_session_for_two_queries;
SELECT spanner_fdw_disconnect_all();
SELECT spanner_session_count_becomes(:n0) AS deleted_on_disconnect;
-- another backend queries, waits 2 s and exits
SELECT format('(psql -X -q -h %s -p %s -d %s -c %s -c %s) </dev/null >/dev/null 2>&1 &',
  split_part(current_setting('unix_socket_directories'), ',', 1),
  current_setting('port'), quote_ident(current_database()),
  quote_literal('SELECT count(*) FROM snap_genres'), quote_literal('SELECT pg_sleep(2)')) AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT spanner_session_count_becomes(:n0 + 1) AS other_backend_has_a_session;
SELECT spanner_session_count_becomes(:n0) AS deleted_at_backend_exit;
DROP FUNCTION spanner_session_count_becomes(int), spanner_session_count();
DROP TABLE snap_out;
DROP FUNCTION spanner_set_genre_name(text);
DROP FOREIGN TABLE snap_genres;
