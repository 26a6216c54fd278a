-- ===================================================================
-- scan: column pruning, condition pushdown with typed parameters,
-- EXPLAIN VERBOSE, joins and rescans, snapshots
-- ===================================================================
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE SERVER IF NOT EXISTS sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
RESET client_min_messages;
CREATE SCHEMA scan;
IMPORT FOREIGN SCHEMA public LIMIT TO ("Singers", "Albums", "Concerts", genres)
  FROM SERVER sp INTO scan;
SET search_path = scan, public;

-- ===================================================================
-- only referenced columns are fetched
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT "FirstName" FROM "Singers";
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM "Singers";
SELECT count(*) FROM "Singers";
SELECT count(*) FROM "Albums";

-- ===================================================================
-- pushed-down conditions become typed parameters
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" = 7;
SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" = 7;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" >= 45 AND "Active" AND NOT "SingerId" <> 49;
SELECT "SingerId" FROM "Singers" WHERE "SingerId" >= 45 AND "Active" AND NOT "SingerId" <> 49;
-- int4 and int2 constants against an INT64 column
SELECT "SingerId" FROM "Singers" WHERE "SingerId" < 3::int2 OR "SingerId" > 49::int4 ORDER BY 1;
-- IN lists, = ANY, <> ALL (on the key alone: a read by key, see pushdown)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "LastName" IN ('Singer001', 'Singer005');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" IN (1, 5, 9);
SELECT "SingerId" FROM "Singers" WHERE "SingerId" IN (1, 5, 9) ORDER BY 1;
SELECT count(*) FROM "Singers" WHERE "SingerId" <> ALL ('{1,2,3}');
SELECT count(*) FROM "Singers" WHERE "SingerId" <> ALL ('{1,2,NULL}');
SELECT count(*) FROM "Singers" WHERE "SingerId" = ANY ('{}');
-- NULL tests and boolean columns
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "FirstName" IS NULL OR "Active" IS NULL;
SELECT "SingerId" FROM "Singers" WHERE "FirstName" IS NULL OR "Active" IS NULL ORDER BY 1;
SELECT count(*) FROM "Singers" WHERE NOT "Active";
-- strings: equality is pushed under any deterministic collation
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "FirstName" = 'Léa';
SELECT "SingerId" FROM "Singers" WHERE "FirstName" = 'Léa' ORDER BY 1;
SELECT "SingerId" FROM "Singers" WHERE "FirstName" IN ('日本', 'Ana 🎸') ORDER BY 1;
-- a value cannot change the query: it travels as a parameter
SELECT count(*) FROM "Singers" WHERE "LastName" = 'x'' OR TRUE OR ''x';
SELECT count(*) FROM "Singers" WHERE "LastName" = 'Singer001` OR TRUE --';
-- ordering comparisons of strings only under the C collation
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "LastName" COLLATE "C" > 'Singer047';
SELECT "SingerId" FROM "Singers" WHERE "LastName" COLLATE "C" > 'Singer047' ORDER BY 1;
-- the test database's default collation is C.UTF-8, which PostgreSQL does not
-- treat as "C": not pushed either
SELECT datcollate FROM pg_database WHERE datname = current_database();
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "LastName" > 'Singer047';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "LastName" COLLATE "und-x-icu" > 'Singer047';
SELECT "SingerId" FROM "Singers" WHERE "LastName" COLLATE "und-x-icu" > 'Singer047' ORDER BY 1;
-- floats stay local: Spanner's NaN semantics differ
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "Rating" > 15;
SELECT "SingerId", "Rating" FROM "Singers" WHERE "Rating" > 19 ORDER BY 1;
SELECT "SingerId", "Rating" FROM "Singers" WHERE "Rating" = 'NaN' ORDER BY 1;
-- numeric: pushed when Spanner's NUMERIC holds the constant exactly
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "Fee" > 5000.5;
SELECT "SingerId", "Fee" FROM "Singers" WHERE "Fee" > 5000.5 ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "Fee" > 5000.0000000001;
SELECT "SingerId" FROM "Singers" WHERE "Fee" > 5000.0000000001 ORDER BY 1;
-- dates, timestamps (compared at microsecond precision), bytes
SELECT "SingerId", "BirthDate" FROM "Singers" WHERE "BirthDate" < '1945-01-01' ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "UpdatedAt" <= '2024-01-02 00:00:01.123456+00';
SELECT "SingerId", "UpdatedAt" FROM "Singers" WHERE "UpdatedAt" <= '2024-01-02 00:00:01.123456+00';
SELECT "SingerId" FROM "Singers" WHERE "UpdatedAt" = '2024-01-02 00:00:01.123456+00';
SELECT genre_id, name FROM genres WHERE code = convert_to('jazz', 'UTF8');
-- conditions that stay local are still applied
SELECT "SingerId" FROM "Singers" WHERE "SingerId" % 10 = 0 AND "SingerId" > 20 ORDER BY 1;

-- ===================================================================
-- parameters: prepared statements and subqueries
-- ===================================================================
SET plan_cache_mode = force_generic_plan;
PREPARE q(bigint) AS SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" = $1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q(3);
EXECUTE q(3);
EXECUTE q(42);
EXECUTE q(NULL);
DEALLOCATE q;
RESET plan_cache_mode;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" = (SELECT max(genre_id) FROM genres);
SELECT "SingerId" FROM "Singers" WHERE "SingerId" = (SELECT max(genre_id) FROM genres);

-- ===================================================================
-- joins and rescans: one snapshot for every scan of a statement
-- ===================================================================
SELECT s."SingerId", s."LastName", a."AlbumId", a."AlbumTitle"
  FROM "Singers" s JOIN "Albums" a ON a."SingerId" = s."SingerId"
  WHERE s."SingerId" BETWEEN 14 AND 16 ORDER BY 1, 3;
-- rescans: a nested loop that scans "Singers" again for every genre (as
-- local work: with pushdown the join would be one query, see pushdown.sql)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SET spanner_fdw.pushdown = off;
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM genres g JOIN "Singers" s ON s."SingerId" = g.genre_id;
SELECT count(*), sum(s."SingerId") FROM genres g JOIN "Singers" s ON s."SingerId" = g.genre_id;
RESET spanner_fdw.pushdown;
SELECT g.genre_id, (SELECT count(*) FROM "Albums" a WHERE a."SingerId" = g.genre_id) FROM genres g ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- a cursor reading part of a result, in a transaction with other scans
BEGIN;
DECLARE c CURSOR FOR SELECT "SingerId" FROM "Singers" ORDER BY 1;
FETCH 2 FROM c;
SELECT count(*) FROM "Albums";
FETCH 2 FROM c;
CLOSE c;
COMMIT;
-- disconnecting inside a transaction only marks the connection
BEGIN;
DECLARE c2 CURSOR FOR SELECT "SingerId" FROM "Singers" WHERE "SingerId" = 2;
SELECT spanner_fdw_disconnect_all();
FETCH 1 FROM c2;
COMMIT;
-- a stream opened inside a rolled back savepoint is gone: an error, not a
-- restarted or short result
BEGIN;
DECLARE c3 CURSOR FOR SELECT "SingerId" FROM "Singers" WHERE "SingerId" = 3;
SAVEPOINT s;
FETCH 1 FROM c3;
ROLLBACK TO s;
FETCH 1 FROM c3;
ROLLBACK;
-- after RELEASE the stream belongs to the outer transaction and survives
BEGIN;
DECLARE c4 CURSOR FOR SELECT "SingerId" FROM "Singers" WHERE "SingerId" = 4;
SAVEPOINT s1;
FETCH 1 FROM c4;
RELEASE s1;
SAVEPOINT s2;
ROLLBACK TO s2;
FETCH 1 FROM c4;
COMMIT;
-- LIMIT stops reading early; the connection stays usable
SELECT "SingerId" FROM "Albums" LIMIT 0;
SELECT count(*) FROM (SELECT * FROM "Albums" LIMIT 3) x;
SELECT count(*) FROM "Albums";
-- savepoints: an error inside one does not break the connection
BEGIN;
SELECT count(*) FROM "Singers";
SAVEPOINT s1;
SELECT "SingerId"::int / 0 FROM "Singers" WHERE "SingerId" = 1;
ROLLBACK TO s1;
SELECT count(*) FROM "Albums";
COMMIT;
DROP SCHEMA scan CASCADE;
