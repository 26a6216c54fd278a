-- Sample queries shown by scripts/demo.sh (psql, database "demo").
-- Foreign tables come from IMPORT FOREIGN SCHEMA: Spanner's default schema
-- into "spanner", the named schema "sales" into "spanner_sales".  Spanner
-- names keep their case, so MixedCase names are double-quoted here.
SET TimeZone = 'UTC';

-- The imported definition of a table
\d spanner."Singers"

-- A filtered SELECT (the WHERE clause runs in Spanner)
SELECT "SingerId", "FirstName", "LastName", "BirthDate", "Rating", "Score", "Tags"
FROM spanner."Singers"
WHERE "SingerId" BETWEEN 1 AND 6
ORDER BY "SingerId";

-- A parent table joined with its interleaved child
SELECT s."SingerId", s."LastName", a."AlbumId", a."AlbumTitle", a."Price", a."Sales"
FROM spanner."Singers" s
JOIN spanner."Albums" a ON a."SingerId" = s."SingerId"
WHERE s."SingerId" <= 3
ORDER BY s."SingerId", a."AlbumId";

-- ORDER BY ... LIMIT (and a column named after a reserved word)
SELECT "ConcertId", "Venue", "ConcertDate", "StartTime", "Order"
FROM spanner."Concerts"
ORDER BY "ConcertDate" DESC
LIMIT 5;

-- An aggregate over a table in the named schema "sales"
SELECT "Status", count(*) AS orders, sum("Quantity") AS quantity, sum("Amount") AS amount
FROM spanner_sales."Orders"
GROUP BY "Status"
ORDER BY "Status";

-- A view, and a lower-case table
SELECT * FROM spanner."ActiveSingers" ORDER BY "SingerId" LIMIT 5;
SELECT * FROM spanner.genres ORDER BY genre_id;

-- Every type at its edges (one row of AllTypes)
\x on
SELECT * FROM spanner."AllTypes" WHERE "Id" = 4;
\x off

-- What is sent to Spanner
EXPLAIN (VERBOSE, COSTS OFF)
SELECT "SingerId", "LastName" FROM spanner."Singers" WHERE "SingerId" = 7;

-- Writing: an autocommit INSERT is one Spanner commit; a transaction block
-- is one Spanner read-write transaction, committed with the block
INSERT INTO spanner.genres (genre_id, name) VALUES (900, 'Demo genre');
BEGIN;
UPDATE spanner.genres SET name = 'Demo genre, renamed' WHERE genre_id = 900;
SELECT genre_id, name FROM spanner.genres WHERE genre_id = 900;
COMMIT;
SELECT spanner_fdw_commit_timestamp() IS NOT NULL AS committed;
DELETE FROM spanner.genres WHERE genre_id = 900 RETURNING genre_id, name;
