-- ===================================================================
-- pushdown: what reaches Spanner (ORDER BY, LIMIT, OFFSET) and what
-- stays local.  The answers themselves are compared with PostgreSQL's own
-- by the differential suite (test/differential); here the plans.
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
CREATE SCHEMA pushdown;
IMPORT FOREIGN SCHEMA public LIMIT TO ("Singers", "Albums", "Concerts", genres)
  FROM SERVER sp INTO pushdown;
SET search_path = pushdown, public;

-- ===================================================================
-- ORDER BY: Spanner sorts NULLs first ascending and last descending,
-- PostgreSQL the other way round: a key "col IS NULL" says where they go,
-- unless the column is declared NOT NULL or the order asked for is
-- Spanner's own
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", "BirthDate" FROM "Singers" ORDER BY "BirthDate", "SingerId";
SELECT "SingerId", "BirthDate" FROM "Singers" WHERE "SingerId" > 44 ORDER BY "BirthDate", "SingerId";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "BirthDate" NULLS FIRST, "SingerId" DESC;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "BirthDate" DESC, "SingerId";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "BirthDate" DESC NULLS LAST, "SingerId";
-- the key column is NOT NULL: no extra key, Spanner can read in key order
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "SingerId";
-- a timestamp before another key is cut to microseconds, as PostgreSQL
-- holds it (Spanner keeps nanoseconds and would break ties with them)
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "UpdatedAt", "SingerId" DESC;
-- floats: PostgreSQL puts NaN above every number, Spanner below
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "Rating", "SingerId";
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "Score" DESC, "SingerId";
-- numeric, bytes, booleans, timestamps
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "Fee", "Photo" DESC, "Active", "UpdatedAt";
-- strings: Spanner compares code points, so only under the "C" collation
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "LastName" COLLATE "C", "SingerId";
SELECT "SingerId", "LastName" FROM "Singers" ORDER BY "LastName" COLLATE "C" DESC, "SingerId" LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "LastName" COLLATE "und-x-icu", "SingerId";
-- what Spanner cannot sort stays local: arrays, JSON, expressions
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "Tags", "SingerId";
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" % 7, "SingerId";
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "LastName" USING ~<~;

-- ===================================================================
-- LIMIT and OFFSET: sent as parameters when the query reads one foreign
-- table and every condition is evaluated on Spanner
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" DESC LIMIT 3 OFFSET 2;
SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" DESC LIMIT 3 OFFSET 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" WHERE "Active" LIMIT 5;
SELECT count(*) FROM (SELECT "SingerId" FROM "Singers" WHERE "Active" LIMIT 5) s;
-- an OFFSET alone: the largest LIMIT
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" OFFSET 48;
SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" OFFSET 48;
-- LIMIT ALL / NULL is no limit
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" LIMIT ALL;
-- the projection runs on the rows Spanner sends
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" * 2, upper("LastName") FROM "Singers" ORDER BY "SingerId" LIMIT 2;
SELECT "SingerId" * 2, upper("LastName") FROM "Singers" ORDER BY "SingerId" LIMIT 2;
-- parameters of a prepared statement, also in a generic plan
PREPARE top(bigint, bigint) AS
  SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" LIMIT $1 OFFSET $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE top(2, 1);
EXECUTE top(2, 1);
EXECUTE top(NULL, 47);
EXECUTE top(2, NULL);
EXECUTE top(-1, 0);
EXECUTE top(1, -1);
RESET plan_cache_mode;
DEALLOCATE top;

-- the LIMIT stays local when something between it and the scan is local
-- a condition Spanner cannot evaluate
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" % 2 = 0 ORDER BY "SingerId" LIMIT 3;
SELECT "SingerId" FROM "Singers" WHERE "SingerId" % 2 = 0 ORDER BY "SingerId" LIMIT 3;
-- a sort Spanner cannot do
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "Tags", "SingerId" LIMIT 3;
-- WITH TIES, locking, DISTINCT, aggregates, window functions (a join
-- Spanner runs keeps its LIMIT: below)
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "Active" FETCH FIRST 2 ROWS WITH TIES;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" LIMIT 2 FOR UPDATE;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT DISTINCT "Active" FROM "Singers" LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", row_number() OVER (ORDER BY "SingerId") FROM "Singers" LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId" FROM "Singers" s JOIN "Albums" a USING ("SingerId")
  ORDER BY s."SingerId" LIMIT 2;
-- a LIMIT known only from a subquery
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" LIMIT (SELECT 2);
-- a date known only at run time may lie outside Spanner's range: the scan
-- then reads without conditions and checks them locally, so no LIMIT
PREPARE born(date) AS
  SELECT "SingerId" FROM "Singers" WHERE "BirthDate" > $1 ORDER BY "SingerId" LIMIT 2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE born('1990-01-01');
EXECUTE born('1990-01-01');
EXECUTE born('infinity');
EXECUTE born('-infinity');
RESET plan_cache_mode;
DEALLOCATE born;

-- ===================================================================
-- aggregates: on Spanner when the query reads one foreign table, every
-- condition is remote, there is no HAVING, and each aggregate and GROUP BY
-- column is one Spanner computes as PostgreSQL does
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM "Singers";
SELECT count(*) FROM "Singers";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", count(*), count("AlbumTitle"), count(DISTINCT "ReleaseDate"),
         min("ReleaseDate"), max("Price"), sum("Sales")
  FROM "Albums" WHERE "SingerId" <= 3 GROUP BY "SingerId";
SELECT "SingerId", count(*), count("AlbumTitle"), count(DISTINCT "ReleaseDate"),
       min("ReleaseDate"), max("Price"), sum("Sales")
FROM "Albums" WHERE "SingerId" <= 3 GROUP BY "SingerId" ORDER BY 1;
-- sum(bigint) is numeric in PostgreSQL: summed as NUMERIC, never overflows
SELECT pg_typeof(sum("Sales")) FROM "Albums";
-- expressions of aggregates and group columns are computed locally
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "Active", count(*) * 100 / 50, bool_and("Active"), bool_or("Active")
  FROM "Singers" GROUP BY "Active";
SELECT "Active", count(*) * 100 / 50, bool_and("Active"), bool_or("Active")
FROM "Singers" GROUP BY "Active" ORDER BY 1;
-- strings: min/max only under "C"; GROUP BY under a deterministic collation
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT min("LastName" COLLATE "C"), max("LastName" COLLATE "C") FROM "Singers";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "FirstName", count(*) FROM "Singers" GROUP BY "FirstName";
-- HAVING is checked locally on the groups Spanner returns
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "Active", count(*) FROM "Singers" GROUP BY "Active" HAVING count(*) > 10 AND max("SingerId") > 1;
SELECT "Active", count(*) FROM "Singers" GROUP BY "Active" HAVING count(*) > 10 AND max("SingerId") > 1 ORDER BY 1;
-- avg of integers: Spanner sends the exact sum and the count, the scan
-- divides them as PostgreSQL does
EXPLAIN (VERBOSE, COSTS OFF) SELECT avg("SingerId") FROM "Singers";
SELECT avg("SingerId"), (SELECT avg(x) FROM generate_series(1, 50) x) AS local FROM "Singers";
SELECT avg("SingerId") FROM "Singers" WHERE "SingerId" > 1000;
-- GROUP BY expressions Spanner computes and groups as PostgreSQL does,
-- named by position
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT extract(year FROM "BirthDate") AS y, "Active" IS NULL, count(*), avg("SingerId")
  FROM "Singers" GROUP BY 1, 2;
SELECT extract(year FROM "BirthDate") AS y, "Active" IS NULL, count(*), avg("SingerId")
  FROM "Singers" GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 4;
-- ORDER BY and LIMIT above a grouping: the top groups come from Spanner
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", count(*), max("Price") FROM "Albums"
  GROUP BY "SingerId" ORDER BY max("Price") DESC, "SingerId" LIMIT 3;
SELECT "SingerId", count(*), max("Price") FROM "Albums"
  GROUP BY "SingerId" ORDER BY max("Price") DESC, "SingerId" LIMIT 3;
-- SELECT DISTINCT of columns Spanner groups as PostgreSQL does
EXPLAIN (VERBOSE, COSTS OFF) SELECT DISTINCT "Active" FROM "Singers";
SELECT DISTINCT "Active" FROM "Singers" ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT DISTINCT "Rating" FROM "Singers";
-- what stays local: float aggregates, avg of numeric, FILTER, ordered aggregates
EXPLAIN (VERBOSE, COSTS OFF) SELECT max("Rating"), sum("Rating") FROM "Singers";
EXPLAIN (VERBOSE, COSTS OFF) SELECT avg("Fee") FROM "Singers";
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FILTER (WHERE "Active") FROM "Singers";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT string_agg("LastName", ',' ORDER BY "LastName") FROM "Singers";
-- or a condition Spanner cannot evaluate
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM "Singers" WHERE lower("LastName") = 'singer01';
SELECT count(*) FROM "Singers" WHERE lower("LastName") = 'singer01';

-- ===================================================================
-- the whole primary key fixed: one row read by key (the Read API), no SQL
-- for Spanner to compile
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF) SELECT "LastName", "BirthDate" FROM "Singers" WHERE "SingerId" = 12;
SELECT "LastName", "BirthDate" FROM "Singers" WHERE "SingerId" = 12;
SELECT "LastName" FROM "Singers" WHERE "SingerId" = 1000;
PREPARE one(bigint) AS SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE one(3);
EXECUTE one(3);
EXECUTE one(NULL);
RESET plan_cache_mode;
DEALLOCATE one;
-- a composite key fixed whole: one key [SingerId, AlbumId], in Spanner's key
-- order whatever the order of the conditions
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "AlbumTitle", "Sales" FROM "Albums" WHERE "AlbumId" = 2 AND "SingerId" = 7;
SELECT "AlbumTitle", "Sales" FROM "Albums" WHERE "AlbumId" = 2 AND "SingerId" = 7;
SELECT "AlbumTitle" FROM "Albums" WHERE "SingerId" = 7 AND "AlbumId" = 3;
SELECT count(*) FROM "Albums" WHERE "SingerId" = 1 AND "AlbumId" = 1;
-- IN lists and arrays: one read of every key; NULL elements match nothing,
-- a key given twice reads its row once, as "= ANY" returns it once
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" IN (5, 3, 1000, 3, NULL);
SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" IN (5, 3, 1000, 3, NULL);
SELECT "SingerId" FROM "Singers" WHERE "SingerId" = ANY ('{}'::bigint[]);
SELECT "SingerId" FROM "Singers" WHERE "SingerId" = ANY ('{NULL,NULL}'::bigint[]);
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "AlbumId", "AlbumTitle" FROM "Albums" WHERE "SingerId" = 4 AND "AlbumId" IN (2, 1, 2, 9);
SELECT "AlbumId", "AlbumTitle" FROM "Albums" WHERE "SingerId" = 4 AND "AlbumId" IN (2, 1, 2, 9);
SELECT "SingerId", "AlbumTitle" FROM "Albums" WHERE "SingerId" IN (3, 2) AND "AlbumId" = 1;
-- a NULL key part: no request, no row
SELECT "AlbumTitle" FROM "Albums" WHERE "SingerId" = 4 AND "AlbumId" = NULL::bigint;
-- values known when the scan starts: prepared statements with generic plans
PREPARE two(bigint, bigint) AS
  SELECT "AlbumTitle" FROM "Albums" WHERE "SingerId" = $1 AND "AlbumId" = $2;
PREPARE many(bigint[]) AS SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" = ANY ($1);
PREPARE listed(bigint, bigint) AS SELECT "SingerId" FROM "Singers" WHERE "SingerId" IN ($1, $2, 8);
PREPARE pairs(bigint, bigint[]) AS
  SELECT "AlbumId", "Sales" FROM "Albums" WHERE "SingerId" = $1 AND "AlbumId" = ANY ($2);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE two(5, 1);
EXECUTE two(5, 1);
EXECUTE two(5, NULL);
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE many('{4,2}');
EXECUTE many('{4,2,4,NULL,999}');
EXECUTE many('{}');
EXECUTE many(NULL);
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE listed(6, NULL);
EXECUTE listed(6, NULL);
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE pairs(9, '{2}');
EXECUTE pairs(9, '{2,1,2}');
EXECUTE pairs(NULL, '{1}');
RESET plan_cache_mode;
DEALLOCATE two;
DEALLOCATE many;
DEALLOCATE listed;
DEALLOCATE pairs;
-- strings, bytes and dates as keys (plans only: these tables pretend); a
-- composite key without positions, or two lists: SQL
CREATE FOREIGN TABLE pushdown.albums_bykey (
  "AlbumTitle" text OPTIONS (key '2'), "ReleaseDate" date OPTIONS (key '1'),
  "SingerId" bigint) SERVER sp OPTIONS (table_name 'Albums');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM albums_bykey WHERE "AlbumTitle" = 'x' AND "ReleaseDate" IN ('2000-01-01', '2001-01-01');
CREATE FOREIGN TABLE pushdown.genres_bycode (genre_id bigint, code bytea OPTIONS (key 'true'))
  SERVER sp OPTIONS (table_name 'genres');
EXPLAIN (VERBOSE, COSTS OFF) SELECT genre_id FROM genres_bycode WHERE code IN ('\x00', '\x01');
-- a boolean key: PostgreSQL folds "col = true" into "col"
CREATE FOREIGN TABLE pushdown.singers_byactive ("Active" boolean OPTIONS (key 'true'), "SingerId" bigint)
  SERVER sp OPTIONS (table_name 'Singers');
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM singers_byactive WHERE NOT "Active";
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM singers_byactive WHERE "Active" = true;
CREATE FOREIGN TABLE pushdown.albums_unordered ("SingerId" bigint OPTIONS (key 'true'),
  "AlbumId" bigint OPTIONS (key 'true'), "AlbumTitle" text) SERVER sp OPTIONS (table_name 'Albums');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "AlbumTitle" FROM albums_unordered WHERE "SingerId" = 7 AND "AlbumId" = 2;
SELECT "AlbumTitle" FROM albums_unordered WHERE "SingerId" = 7 AND "AlbumId" = 2;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "AlbumTitle" FROM "Albums" WHERE "SingerId" IN (1, 2) AND "AlbumId" IN (1, 2);
-- rows of several keys come in key order: another order is sorted here
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" IN (5, 3) ORDER BY "LastName" DESC;
SELECT "SingerId", "LastName" FROM "Singers" WHERE "SingerId" IN (5, 3) ORDER BY "LastName" DESC;
-- an array known at run time (here a sub-select's): 2000 keys are read in
-- one request; with more the scan runs its SELECT instead, same answer
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" = ANY ((SELECT array_agg(g) FROM generate_series(49::bigint, 2048) g)::bigint[]);
SELECT * FROM (SELECT "SingerId" FROM "Singers"
  WHERE "SingerId" = ANY ((SELECT array_agg(g) FROM generate_series(49::bigint, 2048) g)::bigint[]) OFFSET 0) x ORDER BY 1;
SELECT * FROM (SELECT "SingerId" FROM "Singers"
  WHERE "SingerId" = ANY ((SELECT array_agg(g) FROM generate_series(48::bigint, 2048) g)::bigint[]) OFFSET 0) x ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" WHERE "SingerId" IN (1, 2) LIMIT 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" WHERE NOT ("SingerId" = ANY ('{1,2}'));
-- a composite key not fixed whole, another condition, or no key option: SQL
EXPLAIN (VERBOSE, COSTS OFF) SELECT "AlbumTitle" FROM "Albums" WHERE "SingerId" = 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "LastName" FROM "Singers" WHERE "SingerId" = 12 AND "Active";
CREATE FOREIGN TABLE pushdown.genres_nokey (genre_id bigint OPTIONS (spanner_type 'INT64'), name text)
  SERVER sp OPTIONS (table_name 'genres');
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM genres_nokey WHERE genre_id = 2;
SELECT name FROM genres_nokey WHERE genre_id = 2;
-- a key declared as another type than Spanner's (numeric over INT64), or
-- compared with an expression of the row: SQL
CREATE FOREIGN TABLE pushdown.genres_numkey (genre_id numeric OPTIONS (spanner_type 'INT64', key 'true'),
  name text) SERVER sp OPTIONS (table_name 'genres');
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM genres_numkey WHERE genre_id = 1.5;
SELECT name FROM genres_numkey WHERE genre_id = 1.5;
SELECT name FROM genres_numkey WHERE genre_id = 2.0;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" WHERE "SingerId" = coalesce("SingerId", 5);
-- functions compute with Spanner's types: a numeric column over INT64 is
-- an integer there (TRUNC of an INT64 is a FLOAT64), so it stays local
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM genres_numkey WHERE trunc(genre_id) = 2;

-- ===================================================================
-- LIKE: the same pattern language on both sides (ESCAPE is applied locally)
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "LastName" LIKE 'Singer04%' AND "FirstName" NOT LIKE '%x!_%' ESCAPE '!';
SELECT "SingerId" FROM "Singers" WHERE "LastName" LIKE 'Singer04%' AND "FirstName" NOT LIKE '%x!_%' ESCAPE '!' ORDER BY 1;
-- ILIKE stays local (case folding differs)
EXPLAIN (VERBOSE, COSTS OFF) SELECT "SingerId" FROM "Singers" WHERE "LastName" ILIKE 'singer04%';

-- ===================================================================
-- stable expressions are computed once, locally, and sent as values
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "UpdatedAt" >= now() - interval '30 days';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "BirthDate" < current_date AND "LastName" = current_user;
SELECT count(*) FROM "Singers" WHERE "BirthDate" <= current_date;
-- a volatile one, or a zone-dependent cross-type comparison, stays local
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" > random() * 10;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "UpdatedAt" < '2024-01-01'::date;

-- ===================================================================
-- an inner join of two foreign tables of the same server: one query
-- ===================================================================
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."LastName", a."AlbumTitle" FROM "Singers" s JOIN "Albums" a ON a."SingerId" = s."SingerId"
  WHERE s."SingerId" <= 2 AND a."AlbumId" = 1;
SELECT s."LastName", a."AlbumTitle" FROM "Singers" s JOIN "Albums" a ON a."SingerId" = s."SingerId"
WHERE s."SingerId" <= 2 AND a."AlbumId" = 1 ORDER BY 1;
-- outer joins: the nullable table's own conditions go into ON, the
-- preserved table's and those above the join into WHERE
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId", a."AlbumId" FROM "Singers" s LEFT JOIN "Albums" a
  ON a."SingerId" = s."SingerId" AND a."AlbumId" = 1 WHERE s."SingerId" < 4;
SELECT s."SingerId", a."AlbumId" FROM "Singers" s LEFT JOIN "Albums" a
  ON a."SingerId" = s."SingerId" AND a."AlbumId" = 1 WHERE s."SingerId" < 4 ORDER BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId", a."AlbumId" FROM "Albums" a RIGHT JOIN "Singers" s
  ON a."SingerId" = s."SingerId" WHERE coalesce(a."AlbumId", 0) = 0;
SELECT count(*) FROM "Albums" a RIGHT JOIN "Singers" s
  ON a."SingerId" = s."SingerId" WHERE coalesce(a."AlbumId", 0) = 0;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT count(*) FROM "Singers" s FULL JOIN "Albums" a ON a."SingerId" = s."SingerId" + 40;
SELECT count(*) FROM "Singers" s FULL JOIN "Albums" a ON a."SingerId" = s."SingerId" + 40;
-- ORDER BY and LIMIT above a join: in the same statement; a column of the
-- nullable side may be NULL even where it is declared NOT NULL
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId", a."AlbumId" FROM "Singers" s LEFT JOIN "Albums" a
  ON a."SingerId" = s."SingerId" AND a."AlbumId" = 1
  ORDER BY a."AlbumId" DESC, s."SingerId" LIMIT 3 OFFSET 1;
SELECT s."SingerId", a."AlbumId" FROM "Singers" s LEFT JOIN "Albums" a
  ON a."SingerId" = s."SingerId" AND a."AlbumId" = 1
  ORDER BY a."AlbumId" DESC, s."SingerId" LIMIT 3 OFFSET 1;
-- three tables: nested joins in parentheses, one statement
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."LastName", a."AlbumTitle", c."Venue" FROM "Singers" s
  JOIN "Albums" a ON a."SingerId" = s."SingerId"
  LEFT JOIN "Concerts" c ON c."SingerId" = a."SingerId" AND c."Venue" <> ''
  WHERE s."SingerId" < 3 AND a."AlbumId" = 1;
-- semi and anti joins: [NOT] EXISTS
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId" FROM "Singers" s
  WHERE NOT EXISTS (SELECT 1 FROM "Albums" a WHERE a."SingerId" = s."SingerId" AND a."Sales" > 0)
    AND s."SingerId" < 10;
SELECT s."SingerId" FROM "Singers" s
  WHERE NOT EXISTS (SELECT 1 FROM "Albums" a WHERE a."SingerId" = s."SingerId" AND a."Sales" > 0)
    AND s."SingerId" < 10 ORDER BY 1;
SELECT count(*) FROM "Singers" s
  WHERE EXISTS (SELECT 1 FROM "Albums" a WHERE a."SingerId" = s."SingerId" AND a."AlbumId" = 2);
-- what stays local: float join keys, a local condition, a full join with
-- conditions on its tables, and joins in statements that write or lock
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId" FROM "Singers" s JOIN "Singers" t ON s."Rating" = t."Rating";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId" FROM "Singers" s JOIN "Albums" a ON a."SingerId" = s."SingerId"
  WHERE lower(s."LastName") = 'x';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId" FROM (SELECT * FROM "Singers" WHERE "SingerId" < 5) s
  FULL JOIN "Albums" a ON a."SingerId" = s."SingerId";
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT s."SingerId" FROM "Singers" s JOIN "Albums" a ON a."SingerId" = s."SingerId" FOR UPDATE OF s;

-- ===================================================================
-- a local table joined with a foreign one: a lookup per local row
-- ===================================================================
CREATE TABLE pushdown.picks (singer bigint, since date);
INSERT INTO pushdown.picks VALUES (3, '1940-01-01'), (17, '1990-01-01'), (99, NULL);
ANALYZE pushdown.picks;
-- the planner weighs a round trip per row against one scan of the whole
-- table: with the table's size known (ANALYZE) and cheap round trips the
-- lookups win
ANALYZE "Singers";
SELECT relpages > 0 AS has_pages, reltuples FROM pg_class WHERE oid = '"Singers"'::regclass;
SELECT count(*) > 5 AS has_column_statistics FROM pg_stats WHERE tablename = 'Singers';
ALTER SERVER sp OPTIONS (ADD fdw_startup_cost '0.5');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT p.singer, s."LastName" FROM picks p JOIN "Singers" s ON s."SingerId" = p.singer;
SELECT p.singer, s."LastName" FROM picks p JOIN "Singers" s ON s."SingerId" = p.singer ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT p.singer, s."SingerId" FROM picks p LEFT JOIN "Singers" s
    ON s."SingerId" = p.singer AND s."BirthDate" > p.since;
SELECT p.singer, s."SingerId" FROM picks p LEFT JOIN "Singers" s
  ON s."SingerId" = p.singer AND s."BirthDate" > p.since ORDER BY 1;
-- a table option overrides the server's
ALTER FOREIGN TABLE "Singers" OPTIONS (ADD fdw_startup_cost '10000');
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT p.singer, s."LastName" FROM picks p JOIN "Singers" s ON s."SingerId" = p.singer;
ALTER FOREIGN TABLE "Singers" OPTIONS (DROP fdw_startup_cost);
ALTER SERVER sp OPTIONS (DROP fdw_startup_cost);
ALTER SERVER sp OPTIONS (ADD fdw_tuple_cost '-1');
ALTER SERVER sp OPTIONS (ADD fdw_startup_cost 'cheap');

-- ===================================================================
-- spanner_fdw.pushdown = off: sorts, LIMIT, aggregates and lookups run
-- locally (conditions are still sent)
-- ===================================================================
SET spanner_fdw.pushdown = off;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "Active" ORDER BY "SingerId" LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM "Singers";
SELECT count(*) FROM "Singers";
RESET spanner_fdw.pushdown;

-- ===================================================================
-- corners: tableoid under a remote LIMIT, whole rows of a join, typmods
-- ===================================================================
SELECT tableoid::regclass, "SingerId" FROM "Singers" ORDER BY "SingerId" LIMIT 1;
SELECT s IS NOT NULL AS whole_row, a."AlbumId" FROM "Singers" s JOIN "Albums" a
  ON a."SingerId" = s."SingerId" WHERE s."SingerId" = 1 ORDER BY 2;
CREATE FOREIGN TABLE pushdown.albums_rounded ("SingerId" bigint OPTIONS (spanner_type 'INT64'),
  "Price" numeric(4,0) OPTIONS (spanner_type 'NUMERIC')) SERVER sp OPTIONS (table_name 'Albums');
EXPLAIN (VERBOSE, COSTS OFF) SELECT max("Price") FROM albums_rounded;
SELECT max("Price") = (SELECT max("Price")::numeric(4,0) FROM "Albums") AS rounded_as_postgresql
FROM albums_rounded;

-- ===================================================================
-- operators and functions Spanner computes as PostgreSQL does
-- ===================================================================
-- bigint arithmetic: / truncates as DIV, % keeps the dividend's sign as MOD
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE ("SingerId" - 50) / 7 = -3;
SELECT "SingerId" FROM "Singers" WHERE ("SingerId" - 50) / 7 = -3 ORDER BY 1;
-- arithmetic can fail (overflow, division by zero), and Spanner's AND/OR
-- may evaluate it before the condition that guards it: only alone
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers" WHERE "SingerId" <> 0 AND 100 % "SingerId" = 0;
SELECT "SingerId" FROM "Singers" WHERE "SingerId" <> 0 AND 100 % "SingerId" = 0 ORDER BY 1;
-- strings: the one-argument trims name the space (Spanner's default is
-- all whitespace); substr only from a constant start of at least 1
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers"
  WHERE btrim("FirstName") || '!' = 'Alice!' AND length("LastName") = 9
    AND substr("LastName", 1, 6) = 'Singer' AND starts_with("LastName", 'Sing')
    AND replace("LastName", 'Singer', 'S') <> 'S013' AND strpos("LastName", '0') = 7;
SELECT "SingerId" FROM "Singers"
  WHERE btrim("FirstName") || '!' = 'Alice!' AND length("LastName") = 9
    AND substr("LastName", 1, 6) = 'Singer' AND starts_with("LastName", 'Sing')
    AND replace("LastName", 'Singer', 'S') <> 'S013' AND strpos("LastName", '0') = 7;
-- COALESCE, NULLIF, CASE, casts to numeric, trunc, abs, date - date
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers"
  WHERE coalesce("Active", false) AND nullif("FirstName", '') IS NOT NULL
    AND CASE WHEN "SingerId" < 10 THEN 'low' ELSE 'high' END = 'low'
    AND "SingerId"::numeric < trunc(abs("Fee")) AND "BirthDate" - date '1900-01-01' > 0;
SELECT count(*) FROM "Singers"
  WHERE coalesce("Active", false) AND nullif("FirstName", '') IS NOT NULL
    AND CASE WHEN "SingerId" < 10 THEN 'low' ELSE 'high' END = 'low'
    AND "SingerId"::numeric < trunc(abs("Fee")) AND "BirthDate" - date '1900-01-01' > 0;
-- extract in the session's time zone, sent as a parameter when the scan
-- starts (a cached plan follows SET TimeZone)
PREPARE by_hour(bigint) AS SELECT count(*) FROM "Singers"
  WHERE extract(hour FROM "UpdatedAt") = 0 AND extract(day FROM "UpdatedAt") < 10 AND "SingerId" > $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_hour(0);
CREATE TEMP TABLE hours AS SELECT "SingerId", "UpdatedAt" FROM "Singers";
EXECUTE by_hour(0);
SELECT count(*) FROM hours
  WHERE extract(hour FROM "UpdatedAt") = 0 AND extract(day FROM "UpdatedAt") < 10 AND "SingerId" > 0;
SET TimeZone = 'Asia/Kolkata';
EXECUTE by_hour(0);
SELECT count(*) FROM hours
  WHERE extract(hour FROM "UpdatedAt") = 0 AND extract(day FROM "UpdatedAt") < 10 AND "SingerId" > 0;
SELECT (SELECT count(*) FROM "Singers" WHERE extract(hour FROM "UpdatedAt") = 5) =
       (SELECT count(*) FROM hours WHERE extract(hour FROM "UpdatedAt") = 5) AS same_kolkata;
-- a zone Spanner would read otherwise: planned locally, or refused by a
-- cached plan
SET TimeZone = 'UTC+3';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT count(*) FROM "Singers" WHERE extract(hour FROM "UpdatedAt") = 3;
EXECUTE by_hour(0);
RESET TimeZone;
SET TimeZone = 'UTC';
RESET plan_cache_mode;
DEALLOCATE by_hour;
-- what stays local: lower/upper (case mapping differs), integer and
-- numeric arithmetic (ranges differ), round, date_trunc, float functions
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT "SingerId" FROM "Singers"
  WHERE upper("FirstName") = 'X' AND "SingerId"::int4 + 1 > 0 AND "Fee" * 2 > 1
    AND round("Fee") = 1 AND date_trunc('day', "UpdatedAt") > now() AND abs("Rating") > 1;

-- ===================================================================
-- a cursor reading a remote LIMIT backwards
-- ===================================================================
BEGIN;
DECLARE c SCROLL CURSOR FOR
  SELECT "SingerId" FROM "Singers" ORDER BY "SingerId" DESC LIMIT 3;
FETCH ALL FROM c;
FETCH BACKWARD 2 FROM c;
COMMIT;

DROP SCHEMA pushdown CASCADE;
