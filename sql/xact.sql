-- ===================================================================
-- xact: the Spanner transaction behind each kind of PostgreSQL
-- transaction, savepoints, FOR UPDATE, two servers, PREPARE; what Spanner
-- holds is checked from a second connection (dblink)
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
CREATE FUNCTION tx() RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(server_name || ': ' || transaction, ', ' ORDER BY server_name)
  FROM spanner_fdw_get_connections() $$;
DELETE FROM acct;
INSERT INTO acct VALUES (1, 100), (2, 100);

-- autocommit statements: a read-only snapshot per statement; a write
-- commits when the statement ends
SELECT sum(balance) FROM acct;
SELECT tx();

-- READ COMMITTED block: one read-only snapshot until the first write
BEGIN;
SELECT balance FROM acct WHERE id = 1;
SELECT tx();
SELECT * FROM peer('SELECT 1 FROM public.dblink_exec(''dbname='' || current_database() || '' port='' || current_setting(''port''), ''UPDATE w.acct SET balance = 150 WHERE id = 2'') AS x');
-- still the snapshot taken before the other session's commit
SELECT balance FROM acct WHERE id = 2;
UPDATE acct SET balance = balance - 10 WHERE id = 1;
SELECT tx();
-- from the first write on, reads are inside the read-write transaction
SELECT id, balance FROM acct ORDER BY id;
COMMIT;
SELECT * FROM peer('SELECT id || '':'' || balance FROM acct ORDER BY id');

-- REPEATABLE READ and SERIALIZABLE: inside the read-write transaction from
-- the first statement (Spanner locks what is read)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sum(balance) FROM acct;
SELECT tx();
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT sum(balance) FROM acct;
SELECT tx();
ROLLBACK;
-- ... unless the read-write transaction is deferred to the first write
SET spanner_fdw.lazy_read_write = on;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sum(balance) FROM acct;
SELECT tx();
ROLLBACK;
RESET spanner_fdw.lazy_read_write;
ALTER SERVER wr OPTIONS (ADD lazy_read_write 'true');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sum(balance) FROM acct;
SELECT tx();
ROLLBACK;
ALTER SERVER wr OPTIONS (DROP lazy_read_write);
-- a READ ONLY block stays on its snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT sum(balance) FROM acct;
SELECT tx();
UPDATE acct SET balance = 0;
ROLLBACK;

-- SELECT ... FOR UPDATE reads inside the read-write transaction
BEGIN;
SELECT balance FROM acct WHERE id = 1 FOR UPDATE;
SELECT tx();
UPDATE acct SET balance = 200 WHERE id = 1;
COMMIT;
SELECT * FROM peer('SELECT balance FROM acct WHERE id = 1');

-- savepoints: honoured while nothing was written since; otherwise the
-- transaction is doomed and nothing of it is committed
BEGIN;
UPDATE acct SET balance = 1 WHERE id = 1;
SAVEPOINT s1;
SELECT balance FROM acct WHERE id = 1;
ROLLBACK TO SAVEPOINT s1;
UPDATE acct SET balance = 2 WHERE id = 2;
COMMIT;
SELECT * FROM peer('SELECT id || '':'' || balance FROM acct ORDER BY id');
BEGIN;
SAVEPOINT s1;
UPDATE acct SET balance = 3 WHERE id = 1;
ROLLBACK TO SAVEPOINT s1;
SELECT balance FROM acct WHERE id = 1;
COMMIT;
BEGIN;
UPDATE acct SET balance = 4 WHERE id = 1;
SAVEPOINT s1;
UPDATE acct SET balance = 5 WHERE id = 2;
RELEASE SAVEPOINT s1;
SAVEPOINT s2;
ROLLBACK TO SAVEPOINT s2;
COMMIT;
SELECT * FROM peer('SELECT id || '':'' || balance FROM acct ORDER BY id');
-- a failed statement has nothing to undo (psql's ON_ERROR_ROLLBACK); the
-- emulator, unlike production Spanner, then refuses the rest of the
-- transaction, and nothing of it is committed
\set ON_ERROR_ROLLBACK on
BEGIN;
UPDATE acct SET balance = 6 WHERE id = 1;
INSERT INTO acct VALUES (1, 0);
UPDATE acct SET balance = 7 WHERE id = 2;
COMMIT;
\set ON_ERROR_ROLLBACK off
SELECT * FROM peer('SELECT id || '':'' || balance FROM acct ORDER BY id');

-- a write that failed as the transaction's first statement began nothing:
-- the block reads on a snapshot and commits
BEGIN;
SAVEPOINT a;
INSERT INTO acct VALUES (1, 0);
ROLLBACK TO SAVEPOINT a;
SELECT sum(balance) FROM acct;
SELECT tx();
COMMIT;

-- PREPARE TRANSACTION is refused; nothing is committed
BEGIN;
UPDATE acct SET balance = 0;
PREPARE TRANSACTION 'p1';
SELECT * FROM peer('SELECT id || '':'' || balance FROM acct ORDER BY id');

-- two servers: each commits its own transaction, one after the other
CREATE SERVER wr2 FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes2', endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER wr2 OPTIONS (auth 'none');
CREATE FOREIGN TABLE acct2 (id bigint OPTIONS (key 'true'), balance bigint)
  SERVER wr2 OPTIONS (table_name 'acct');
BEGIN;
UPDATE acct SET balance = balance - 1 WHERE id = 1;
INSERT INTO acct2 VALUES (1, 1);
SELECT tx();
COMMIT;
SELECT * FROM peer('SELECT a.balance || '','' || b.balance FROM acct a JOIN acct2 b USING (id)');
SELECT tx();
-- one doomed server: nothing is committed on any server
BEGIN;
UPDATE acct SET balance = 1000 WHERE id = 1;
SAVEPOINT s;
UPDATE acct2 SET balance = 1000 WHERE id = 1;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM peer('SELECT a.balance || '','' || b.balance FROM acct a JOIN acct2 b USING (id)');
