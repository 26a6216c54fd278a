-- ===================================================================
-- tags: request tags, transaction tags and priority (Spanner's
-- RequestOptions) on every kind of request, as the fault proxy in front of
-- the emulator records them (the emulator itself takes them: every request
-- below went through to it): defaults, GUCs, server and table options,
-- invalid values
-- ===================================================================
SET TimeZone = 'UTC';
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
RESET client_min_messages;
SELECT current_setting('spanner_test.standins') || '/fault_proxy.py' AS proxy,
       current_setting('data_directory') || '/fault_proxy_tags' AS pxfile \gset
SELECT format('python3 %s --upstream %s --port-file %s --pid-file %s --daemon </dev/null >/dev/null 2>&1',
  :'proxy', :'endpoint', :'pxfile' || '.port', :'pxfile' || '.pid') AS cmd \gset
COPY (SELECT 1) TO PROGRAM :'cmd';
SELECT 'http://127.0.0.1:' || pg_read_file(:'pxfile' || '.port') AS pxurl \gset
SELECT set_config('spanner_test.tpxurl', :'pxurl', false) IS NOT NULL AS ok;
CREATE SERVER tpx FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'writes', endpoint :'pxurl');
-- each Lambda function connects as its own role: the tags name the session's role
CREATE ROLE tags_fn;
GRANT USAGE ON FOREIGN SERVER tpx TO tags_fn;
CREATE USER MAPPING FOR tags_fn SERVER tpx OPTIONS (auth 'none');
CREATE FOREIGN TABLE tg (k bigint OPTIONS (key '1', spanner_type 'INT64'),
                         v text OPTIONS (spanner_type 'STRING(MAX)'))
  SERVER tpx OPTIONS (table_name 'tagged');
-- the same table with options of its own
CREATE FOREIGN TABLE tg2 (k bigint OPTIONS (key '1', spanner_type 'INT64'),
                          v text OPTIONS (spanner_type 'STRING(MAX)'))
  SERVER tpx OPTIONS (table_name 'tagged', request_tag 'orders-table', priority 'high');
-- without spanner_type: planning looks the types up (a catalog request)
CREATE FOREIGN TABLE tg3 (k bigint OPTIONS (key '1'), v text)
  SERVER tpx OPTIONS (table_name 'tagged');
GRANT ALL ON tg, tg2, tg3 TO tags_fn;
ALTER FOREIGN TABLE tg OWNER TO tags_fn;
CREATE SCHEMA tags_import AUTHORIZATION tags_fn;
-- what the proxy recorded since the last call, one row a request
CREATE TABLE tpx_out (r jsonb);
GRANT ALL ON tpx_out TO tags_fn;
CREATE FUNCTION requests() RETURNS TABLE (rpc text, txn text, request_tag text,
                                          transaction_tag text, priority text)
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  TRUNCATE tpx_out;
  EXECUTE format('COPY tpx_out FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E''\x1f'', QUOTE E''\x1e'')',
    format('curl -s %s/__requests; curl -s -X POST %s/__requests/clear >/dev/null',
           current_setting('spanner_test.tpxurl'), current_setting('spanner_test.tpxurl')));
  RETURN QUERY SELECT o.r->>'rpc', o.r->>'txn', o.r->'requestOptions'->>'requestTag',
                      o.r->'requestOptions'->>'transactionTag', o.r->'requestOptions'->>'priority'
               FROM tpx_out o WHERE o.r->>'rpc' NOT IN ('sessions', 'rollback');
END $$;
GRANT EXECUTE ON FUNCTION requests() TO tags_fn;
SET SESSION AUTHORIZATION tags_fn;
SET application_name = 'orders-fn';
DELETE FROM tg;
SELECT count(*) > 0 AS some FROM requests();

-- defaults: pg:<role>/<application_name>/<kind>; a transaction tag only on
-- the requests of a read-write transaction (the commit too), none on reads
-- in a read-only snapshot
INSERT INTO tg VALUES (1, 'one'), (2, 'two');
SELECT * FROM requests();
SELECT * FROM tg WHERE k = 1;
SELECT count(*) FROM tg;
SELECT * FROM requests();
BEGIN;
SELECT count(*) FROM tg;
UPDATE tg SET v = 'uno' WHERE k = 1;
SELECT v FROM tg WHERE k = 1;
INSERT INTO tg VALUES (3, 'three'), (4, 'four');
COMMIT;
SELECT * FROM requests();
-- a read-write transaction begun by a statement outside a block is named
-- after the statement's kind
DELETE FROM tg WHERE k = 4;
UPDATE tg SET v = v || '!' WHERE k IN (SELECT k FROM tg WHERE k < 3);
SELECT * FROM requests();
-- executeBatchDml (a replacing INSERT in a block: a delete, then the insert)
ALTER FOREIGN TABLE tg OPTIONS (ADD insert_mode 'replace');
BEGIN;
INSERT INTO tg VALUES (8, 'eight');
COMMIT;
ALTER FOREIGN TABLE tg OPTIONS (DROP insert_mode);
SELECT * FROM requests();
-- catalog look-ups while planning, ANALYZE, TRUNCATE, IMPORT
EXPLAIN (COSTS OFF) SELECT * FROM tg3 WHERE k = 2;
ANALYZE tg;
IMPORT FOREIGN SCHEMA public LIMIT TO (tagged) FROM SERVER tpx INTO tags_import;
TRUNCATE tg;
INSERT INTO tg VALUES (1, 'one'), (2, 'two');
SELECT rpc, txn, request_tag, transaction_tag, priority
  FROM requests() ORDER BY request_tag COLLATE "C", rpc COLLATE "C";

-- GUCs win over every option; "none" sends no tag
SET spanner_fdw.request_tag = 'checkout step 2';
SET spanner_fdw.transaction_tag = 'checkout';
SET spanner_fdw.priority = 'LOW';
SELECT count(*) FROM tg2;
BEGIN;
INSERT INTO tg2 VALUES (5, 'five');
SELECT count(*) FROM tg;
COMMIT;
SELECT * FROM requests();
SET spanner_fdw.request_tag = 'none';
SET spanner_fdw.transaction_tag = 'none';
SET spanner_fdw.priority = 'medium';
INSERT INTO tg VALUES (6, 'six');
SELECT count(*) FROM tg WHERE k = 6;
SELECT * FROM requests();
RESET spanner_fdw.request_tag;
RESET spanner_fdw.transaction_tag;
RESET spanner_fdw.priority;

-- server options, and a table's own (it wins); a join takes a table's
-- option only when all its tables agree
RESET SESSION AUTHORIZATION;
ALTER SERVER tpx OPTIONS (ADD request_tag 'orders-server', ADD transaction_tag 'orders-txn',
                          ADD priority 'low');
SET SESSION AUTHORIZATION tags_fn;
SET application_name = 'orders-fn';
SELECT count(*) FROM tg;
SELECT count(*) FROM tg2;
SELECT count(*) FROM tg2 a JOIN tg2 b USING (k);
SELECT count(*) FROM tg a JOIN tg2 b USING (k);
INSERT INTO tg2 VALUES (7, 'seven');
SELECT * FROM requests();
-- they show as options do
SELECT o FROM pg_foreign_server, unnest(srvoptions) o
  WHERE srvname = 'tpx' AND o ~ '^(request_tag|transaction_tag|priority)=';
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'tg2'::regclass;
RESET SESSION AUTHORIZATION;
ALTER SERVER tpx OPTIONS (DROP request_tag, DROP transaction_tag, DROP priority);

-- partitioned DML: the transaction tag on its beginTransaction (no priority:
-- Spanner ignores it there) and on the statement
SET SESSION AUTHORIZATION tags_fn;
SET application_name = 'orders-fn';
SET spanner_fdw.partitioned_dml = on;
SET spanner_fdw.priority = 'low';
DELETE FROM tg WHERE k = 7;
RESET spanner_fdw.partitioned_dml;
RESET spanner_fdw.priority;
SELECT * FROM requests();

-- the default tag fits 50 characters: '/' and characters outside
-- printable ASCII are replaced, the longer of role and application name is
-- cut, each keeps half of the room when both are long
RESET SESSION AUTHORIZATION;
CREATE ROLE "tags/a role name that is long: forty-eight chars";
GRANT tags_fn TO "tags/a role name that is long: forty-eight chars";
CREATE USER MAPPING FOR "tags/a role name that is long: forty-eight chars" SERVER tpx
  OPTIONS (auth 'none');
SET SESSION AUTHORIZATION "tags/a role name that is long: forty-eight chars";
SET application_name = 'fn';
SELECT count(*) FROM tg WHERE k = 1;
SET application_name = 'a long application name/of a lambda function';
SELECT count(*) FROM tg WHERE k = 1;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION tags_fn;
SET application_name = 'a long application name/of a lambda function, and more';
SELECT count(*) FROM tg WHERE k = 1;
SET application_name = '';
SELECT count(*) FROM tg WHERE k = 1;
SELECT request_tag, length(request_tag) FROM requests();
RESET SESSION AUTHORIZATION;

-- invalid values: GUCs (22023) and options (HV024)
\set VERBOSITY default
SET spanner_fdw.request_tag = 'a tag that is longer than fifty characters, by one!';
\echo :LAST_ERROR_SQLSTATE
SET spanner_fdw.transaction_tag = '_leading underscore';
SET spanner_fdw.request_tag = E'tab\there';
SET spanner_fdw.request_tag = 'café';
SET spanner_fdw.priority = 'urgent';
\echo :LAST_ERROR_SQLSTATE
SET spanner_fdw.request_tag = 'fifty characters exactly, which is the limit: ok!!';
SELECT length(current_setting('spanner_fdw.request_tag'));
RESET spanner_fdw.request_tag;
ALTER SERVER tpx OPTIONS (ADD request_tag '');
\echo :LAST_ERROR_SQLSTATE
ALTER SERVER tpx OPTIONS (ADD transaction_tag 'a tag that is longer than fifty characters, by one!');
ALTER FOREIGN TABLE tg OPTIONS (ADD priority 'urgent');
ALTER FOREIGN TABLE tg OPTIONS (ADD request_tag '_x');
CREATE USER MAPPING FOR PUBLIC SERVER tpx OPTIONS (priority 'low');
\set VERBOSITY terse

-- clean up
DROP FOREIGN TABLE tg, tg2, tg3;
DROP SCHEMA tags_import CASCADE;
DROP USER MAPPING FOR tags_fn SERVER tpx;
DROP USER MAPPING FOR "tags/a role name that is long: forty-eight chars" SERVER tpx;
DROP SERVER tpx;
DROP FUNCTION requests();
DROP TABLE tpx_out;
DROP ROLE "tags/a role name that is long: forty-eight chars";
DROP ROLE tags_fn;
-- stop the proxy
SELECT format('cat >/dev/null; kill %s', pg_read_file(:'pxfile' || '.pid')) AS killcmd \gset
COPY (SELECT 1) TO PROGRAM :'killcmd';
