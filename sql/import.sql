-- ===================================================================
-- import: IMPORT FOREIGN SCHEMA from Spanner's INFORMATION_SCHEMA
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

-- the default schema: tables and views, keys marked, NOT NULL kept
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA public FROM SERVER sp INTO imp;
\det+ imp.*
\d imp."Singers"
\d imp."Albums"
\d imp."ActiveSingers"
SELECT "SingerId", "FirstName", "Rating" FROM imp."ActiveSingers" WHERE "SingerId" <= 5 ORDER BY 1;
-- the reserved word and the interleaved child work as imported
SELECT "ConcertId", "Order" FROM imp."Concerts" WHERE "ConcertId" IN (25, 26) ORDER BY 1;
SELECT count(*) FROM imp."Singers" s JOIN imp."Albums" a USING ("SingerId");

-- LIMIT TO and EXCEPT
CREATE SCHEMA imp2;
IMPORT FOREIGN SCHEMA public LIMIT TO (genres, "Concerts", nosuchtable) FROM SERVER sp INTO imp2;
\det imp2.*
CREATE SCHEMA imp3;
IMPORT FOREIGN SCHEMA public EXCEPT ("Singers", "Albums", "AllTypes") FROM SERVER sp INTO imp3;
\det imp3.*
-- options: import_not_null, import_views
CREATE SCHEMA imp4;
IMPORT FOREIGN SCHEMA public LIMIT TO (genres, "ActiveSingers") FROM SERVER sp INTO imp4
  OPTIONS (import_not_null 'false', import_views 'false');
\det imp4.*
\d imp4.genres
IMPORT FOREIGN SCHEMA public FROM SERVER sp INTO imp4 OPTIONS (import_nulls 'x');

-- a named schema
CREATE SCHEMA imp_sales;
IMPORT FOREIGN SCHEMA sales FROM SERVER sp INTO imp_sales;
\d imp_sales."Orders"
SELECT "OrderId", "Status", "Amount", "OrderedAt", "Note" FROM imp_sales."Orders"
  WHERE "OrderId" IN (1, 10, 15) ORDER BY 1;
-- a schema that does not exist
IMPORT FOREIGN SCHEMA nosuch FROM SERVER sp INTO imp_sales;

\set VERBOSITY terse
DROP SCHEMA imp, imp2, imp3, imp4, imp_sales CASCADE;
\set VERBOSITY default
