-- ===================================================================
-- writes: INSERT, COPY, UPDATE, DELETE, RETURNING, ON CONFLICT,
-- insert_mode, TRUNCATE, commit timestamps, partitioned DML, the
-- constraint SQLSTATEs; every result is read back, also from a second
-- connection (dblink), so what Spanner holds is what is checked
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

-- autocommit INSERT: mutations sent with the commit
INSERT INTO kv (k, v, n) VALUES (1, 'one', 1), (2, 'two', 2);
SELECT * FROM peer('SELECT k, v, n FROM kv ORDER BY k');
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO kv (k, v, n) VALUES (3, 'three', 3);

-- in a block: DML, visible to the block's later reads, not to others
BEGIN;
INSERT INTO kv (k, v, n) VALUES (3, 'three', 3);
SELECT k, v FROM kv ORDER BY k;
SELECT * FROM peer('SELECT count(*) FROM kv');
UPDATE kv SET v = 'TWO' WHERE k = 2;
DELETE FROM kv WHERE k = 1;
SELECT * FROM peer('SELECT count(*) FROM kv');
COMMIT;
SELECT * FROM peer('SELECT k, v, n FROM kv ORDER BY k');

-- ROLLBACK leaves Spanner untouched
BEGIN;
INSERT INTO kv (k, v, n) VALUES (4, 'four', 4);
UPDATE kv SET n = 99;
DELETE FROM kv WHERE k = 2;
ROLLBACK;
SELECT * FROM peer('SELECT k, v, n FROM kv ORDER BY k');

-- RETURNING (THEN RETURN)
INSERT INTO kv (k, v, n) VALUES (10, 'ten', 10) RETURNING k, v, n;
UPDATE kv SET n = n + 1 WHERE k = 10 RETURNING k, n;
UPDATE kv SET n = n + 1 WHERE k = 10 RETURNING n, v;
DELETE FROM kv WHERE k = 10 RETURNING *;
SELECT * FROM peer('SELECT count(*) FROM kv WHERE k = 10');

-- UPDATE/DELETE that Spanner runs whole (one DML) and row by row
EXPLAIN (VERBOSE, COSTS OFF) UPDATE kv SET v = 'x', n = 7 WHERE k = 2;
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM kv WHERE v = 'nothing';
EXPLAIN (VERBOSE, COSTS OFF) UPDATE kv SET n = n + 1 WHERE k = 2;
UPDATE kv SET v = 'x', n = 7 WHERE k = 2;
UPDATE kv SET n = n + 1 WHERE k >= 2;
DELETE FROM kv WHERE v = 'nothing';
SELECT * FROM peer('SELECT k, v, n FROM kv ORDER BY k');
-- a key cannot change
UPDATE kv SET k = 5 WHERE k = 2;

-- multi-row INSERT in a block: batch_size rows at a time, split into several
-- statements of one executeBatchDml to respect the parameter limit
ALTER SERVER wr OPTIONS (ADD batch_size '1000');
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO bulk SELECT g, 'v' FROM generate_series(1, 2) g;
BEGIN;
INSERT INTO bulk SELECT g, 'v' || g FROM generate_series(1, 1000) g;
SELECT count(*), min(id), max(id) FROM bulk;
COMMIT;
ALTER SERVER wr OPTIONS (DROP batch_size);
SELECT * FROM peer('SELECT count(*) FROM bulk');
-- INSERT ... SELECT from a foreign table of the same server (autocommit)
INSERT INTO bulk SELECT id + 1000, v FROM bulk WHERE id <= 10;
SELECT * FROM peer('SELECT count(*) FROM bulk');

-- an autocommit INSERT larger than one commit fails and writes nothing,
-- unless the user opts into several commits
SET spanner_fdw.commit_mutation_limit = 100;
ALTER FOREIGN TABLE bulk OPTIONS (ADD batch_size '20');
INSERT INTO bulk SELECT g, 'big' FROM generate_series(3001, 3060) g;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM peer('SELECT count(*) FROM bulk WHERE id > 3000');
SET spanner_fdw.nonatomic_bulk_load = on;
INSERT INTO bulk SELECT g, 'big' FROM generate_series(3001, 3060) g;
SELECT * FROM peer('SELECT count(*) FROM bulk WHERE id > 3000');
-- in a block rows are DML: this limit of buffered inserts does not apply
-- (Spanner enforces its own at commit)
BEGIN;
INSERT INTO bulk SELECT g, 'big' FROM generate_series(3101, 3160) g;
COMMIT;
DELETE FROM bulk WHERE id > 3000;
RESET spanner_fdw.nonatomic_bulk_load;
RESET spanner_fdw.commit_mutation_limit;
ALTER FOREIGN TABLE bulk OPTIONS (DROP batch_size);

-- a statement trigger that reads the table after an autocommit INSERT sees
-- its rows (they are DML then, not held for the commit)
CREATE FUNCTION count_bulk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'rows with id > 4000: %', (SELECT count(*) FROM w.bulk WHERE id > 4000);
  RETURN NULL;
END $$;
CREATE TRIGGER bulk_after AFTER INSERT ON bulk FOR EACH STATEMENT EXECUTE FUNCTION count_bulk();
INSERT INTO bulk VALUES (4001, 'a'), (4002, 'b');
DROP TRIGGER bulk_after ON bulk;
DELETE FROM bulk WHERE id > 4000;

-- COPY: autocommit (mutations), then in a block (DML)
COPY bulk FROM STDIN;
5001	a
5002	b
5003	c
\.
BEGIN;
COPY bulk FROM STDIN;
5004	d
5005	e
\.
SELECT count(*) FROM bulk WHERE id > 5000;
COMMIT;
SELECT * FROM peer('SELECT id, v FROM bulk WHERE id > 5000 ORDER BY id');
-- a COPY that fails part-way writes nothing
COPY bulk FROM STDIN;
6001	x
5001	duplicate
\.
SELECT * FROM peer('SELECT count(*) FROM bulk WHERE id = 6001');

-- ON CONFLICT DO NOTHING is INSERT OR IGNORE; the command tag counts rows
-- really inserted
INSERT INTO kv (k, v, n) VALUES (2, 'dup', 1) ON CONFLICT DO NOTHING;
INSERT INTO kv (k, v, n) VALUES (2, 'dup', 1), (20, 'new', 1) ON CONFLICT DO NOTHING;
SELECT * FROM peer('SELECT k, v FROM kv WHERE k IN (2, 20) ORDER BY k');

-- insert_mode: upserts (columns not named are written as NULL, as in
-- any INSERT of a foreign table)
ALTER FOREIGN TABLE kv OPTIONS (ADD insert_mode 'insert_or_update');
INSERT INTO kv (k, v, n) VALUES (20, 'upserted', 5);
BEGIN; INSERT INTO kv (k, v, n) VALUES (21, 'upserted in block', 5), (20, 'again', 6); COMMIT;
ALTER FOREIGN TABLE kv OPTIONS (SET insert_mode 'replace');
INSERT INTO kv (k, v, n) VALUES (21, 'replaced', 7);
BEGIN; INSERT INTO kv (k, v, n) VALUES (22, 'replaced in block', 8), (20, 'replaced', 9); COMMIT;
ALTER FOREIGN TABLE kv OPTIONS (SET insert_mode 'nonsense');
ALTER FOREIGN TABLE kv OPTIONS (DROP insert_mode);
SELECT * FROM peer('SELECT k, v, n FROM kv WHERE k BETWEEN 20 AND 22 ORDER BY k');

-- constraint errors: PostgreSQL's SQLSTATEs, Spanner's message in DETAIL
\set VERBOSITY default
INSERT INTO kv (k, v, n) VALUES (2, 'dup', 1);
\echo :LAST_ERROR_SQLSTATE
BEGIN; INSERT INTO kv (k, v, n) VALUES (2, 'dup', 1); ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO kv (k, v, n) VALUES (30, 'neg', -1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO parent (id, name) VALUES (1, NULL);
\echo :LAST_ERROR_SQLSTATE
BEGIN; INSERT INTO child (id, pid) VALUES (1, 99); ROLLBACK;
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE kv ALTER COLUMN v TYPE text;
INSERT INTO kv (k, v, n) VALUES (31, 'this value is far too long for the column', 1);
\echo :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE kv ALTER COLUMN v TYPE varchar(20);
SELECT * FROM peer('SELECT count(*) FROM kv WHERE k IN (30, 31)');

-- every type is written as its Spanner type and reads back unchanged
INSERT INTO typed VALUES (1, true, 1.5, 'héllo', '\x00ff', '2024-02-29',
  '2024-01-02 03:04:05.678901+00', 123.456, '{"a": [1, 2]}', '{1,NULL,3}', '{"x",NULL}'),
  (2, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
BEGIN;
INSERT INTO typed VALUES (3, false, '-Infinity', '', '\x', '0001-01-01',
  '9999-12-31 23:59:59.999999+00', -0.000000001, 'null', '{}', '{}');
COMMIT;
SELECT * FROM typed ORDER BY id;
INSERT INTO typed (id, d) VALUES (4, '10000-01-01');
UPDATE typed SET j = '{"b": true}', arr = '{7}' WHERE id = 2;
SELECT id, j, arr FROM typed WHERE id = 2;

-- commit timestamps: filled by Spanner on insert and update
ALTER FOREIGN TABLE kv ALTER COLUMN ts OPTIONS (ADD commit_timestamp 'always');
INSERT INTO kv (k, v, n) VALUES (40, 'ts', 1);
SELECT ts = spanner_fdw_commit_timestamp() AS same FROM kv WHERE k = 40;
UPDATE kv SET v = 'ts2' WHERE k = 40;
SELECT ts = spanner_fdw_commit_timestamp() AS same FROM kv WHERE k = 40;
BEGIN; INSERT INTO kv (k, v, n, ts) VALUES (41, 'ts', 1, '2000-01-01'); COMMIT;
SELECT ts = spanner_fdw_commit_timestamp() AS same, ts > '2020-01-01' AS recent FROM kv WHERE k = 41;
ALTER FOREIGN TABLE kv ALTER COLUMN ts OPTIONS (SET commit_timestamp 'sometimes');

-- updatable and truncatable: the table's option overrides the server's
SELECT pg_relation_is_updatable('w.kv'::regclass, false);
ALTER SERVER wr OPTIONS (ADD updatable 'false');
SELECT pg_relation_is_updatable('w.kv'::regclass, false);
INSERT INTO kv (k) VALUES (50);
ALTER FOREIGN TABLE kv OPTIONS (ADD updatable 'true');
SELECT pg_relation_is_updatable('w.kv'::regclass, false);
ALTER SERVER wr OPTIONS (DROP updatable);
ALTER FOREIGN TABLE kv OPTIONS (DROP updatable);
ALTER FOREIGN TABLE bulk OPTIONS (ADD truncatable 'false');
TRUNCATE bulk;
ALTER FOREIGN TABLE bulk OPTIONS (DROP truncatable);
-- TRUNCATE is atomic with the transaction
BEGIN;
TRUNCATE bulk;
SELECT count(*) FROM bulk;
ROLLBACK;
SELECT * FROM peer('SELECT count(*) > 0 FROM bulk');
TRUNCATE bulk;
SELECT * FROM peer('SELECT count(*) FROM bulk');

-- partitioned DML: outside blocks only
INSERT INTO bulk SELECT g, 'p' FROM generate_series(1, 50) g;
SET spanner_fdw.partitioned_dml = on;
UPDATE bulk SET v = 'q' WHERE id > 10;
BEGIN;
DELETE FROM bulk WHERE id > 10;
ROLLBACK;
RESET spanner_fdw.partitioned_dml;
SELECT * FROM peer('SELECT v || count(*) FROM bulk GROUP BY v ORDER BY v');

-- a table without key columns: whole-statement UPDATE/DELETE work, others
-- are refused with a hint
CREATE FOREIGN TABLE nokey (id bigint, v text) SERVER wr OPTIONS (table_name 'bulk');
UPDATE nokey SET v = 'z' WHERE id = 1;
UPDATE nokey SET v = v || 'z' WHERE id = 1;
DELETE FROM nokey WHERE id = 1 RETURNING id;
SELECT * FROM peer('SELECT v FROM bulk WHERE id = 1');
