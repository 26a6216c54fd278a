-- ===================================================================
-- errors: remote errors map to SQLSTATEs, carry the remote message and
-- the remote SQL; transport failures are clear; nothing is lost
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

-- a table that does not exist on Spanner: known at plan time (the column
-- types are looked up in INFORMATION_SCHEMA)
CREATE FOREIGN TABLE err_notable (id bigint) SERVER sp OPTIONS (table_name 'NoSuchTable');
SELECT * FROM err_notable;
\echo :LAST_ERROR_SQLSTATE
-- the types are cached per backend until the foreign table changes: once it
-- names a table that exists, it is looked up again
ALTER FOREIGN TABLE err_notable OPTIONS (SET table_name 'Singers');
ALTER FOREIGN TABLE err_notable ALTER COLUMN id OPTIONS (ADD column_name 'SingerId');
SELECT count(id) FROM err_notable;
ALTER FOREIGN TABLE err_notable ALTER COLUMN id OPTIONS (DROP column_name);
ALTER FOREIGN TABLE err_notable OPTIONS (SET table_name 'NoSuchTable');
SELECT * FROM err_notable;
-- Spanner names are case-insensitive: a hand-written table in lower case
CREATE FOREIGN TABLE err_lc (singerid bigint, firstname text)
  SERVER sp OPTIONS (table_name 'singers');
SELECT firstname FROM err_lc WHERE singerid = 1;
-- a column that does not exist
CREATE FOREIGN TABLE err_nocol (id bigint OPTIONS (column_name 'SingerId'), x text)
  SERVER sp OPTIONS (table_name 'Singers');
SELECT id, x FROM err_nocol;
\echo :LAST_ERROR_SQLSTATE
-- names are always quoted: a backtick cannot escape the identifier
CREATE FOREIGN TABLE err_inject (id bigint)
  SERVER sp OPTIONS (table_name 'Singers` WHERE TRUE --');
SELECT * FROM err_inject;
CREATE FOREIGN TABLE err_inject2 ("SingerId`, 1 AS `x" bigint OPTIONS (spanner_type 'INT64'))
  SERVER sp OPTIONS (table_name 'Singers');
SELECT * FROM err_inject2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM err_inject2;
-- a named schema that is not there
CREATE FOREIGN TABLE err_noschema (id bigint)
  SERVER sp OPTIONS (schema_name 'nosuch', table_name 'Orders');
SELECT * FROM err_noschema;
-- the named schema that is there
CREATE FOREIGN TABLE orders (id bigint OPTIONS (column_name 'OrderId'), status text OPTIONS (column_name 'Status'))
  SERVER sp OPTIONS (schema_name 'sales', table_name 'Orders');
SELECT id, status FROM orders WHERE id <= 3 ORDER BY id;
-- nothing listens on the endpoint
CREATE SERVER err_down FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project 'p', instance 'ii', database 'dd', endpoint 'http://127.0.0.1:1');
CREATE USER MAPPING FOR CURRENT_USER SERVER err_down OPTIONS (auth 'none');
CREATE FOREIGN TABLE err_down_t (id bigint) SERVER err_down;
\set VERBOSITY terse
SELECT * FROM err_down_t;
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
-- the database does not exist
CREATE SERVER err_nodb FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'nodb', endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER err_nodb OPTIONS (auth 'none');
CREATE FOREIGN TABLE err_nodb_t (id bigint) SERVER err_nodb;
SELECT * FROM err_nodb_t;
\echo :LAST_ERROR_SQLSTATE
-- after all of these the connection still works, in and out of transactions
SELECT count(*) FROM orders;
BEGIN;
SELECT count(*) FROM orders;
SELECT * FROM err_notable;
ROLLBACK;
SELECT count(*) FROM orders;
-- Spanner rows have no ctid: reading or comparing one is an error, never
-- the same meaningless value in every row
SELECT ctid FROM orders WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT id FROM orders WHERE ctid = '(0,1)';
SELECT tableoid::regclass, id FROM orders WHERE id = 1;
\set VERBOSITY terse
DROP SERVER err_down CASCADE;
DROP SERVER err_nodb CASCADE;
\set VERBOSITY default
DROP FOREIGN TABLE err_notable, err_nocol, err_inject, err_inject2, err_noschema, err_lc, orders;
