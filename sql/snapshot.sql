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
-- one statement with two scans of the table reads one snapshot
SELECT a.name = b.name AS same FROM snap_genres a, snap_genres b
  WHERE a.genre_id = 8 AND b.genre_id = 8;
DROP FUNCTION spanner_set_genre_name(text);
DROP FOREIGN TABLE snap_genres;
