-- ===================================================================
-- options: validation of server, user mapping, table and column options;
-- privileges; connection cache functions and invalidation
-- ===================================================================
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance \gset
CREATE EXTENSION spanner_fdw;

-- ===================================================================
-- server options
-- ===================================================================
CREATE SERVER sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
-- unknown options get the closest name as a hint
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (projet 'p');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (databse 'd');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (xyzzy 'd');
-- ids go into URL paths: only Spanner's characters
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (instance 'a/../b');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (instance 'x');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (database 'Upper');
-- endpoints: https, or http only for loopback
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (endpoint 'http://spanner.example.com');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (endpoint 'ftp://127.0.0.1');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (endpoint 'https://user@host/');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (connect_timeout '0');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (connect_timeout 'ten');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (read_timeout '-1');
CREATE SERVER bad FOREIGN DATA WRAPPER spanner_fdw OPTIONS (keep_connections 'maybe');
-- a server lacking required options fails when used
CREATE SERVER incomplete FOREIGN DATA WRAPPER spanner_fdw OPTIONS (endpoint :'endpoint');
CREATE USER MAPPING FOR CURRENT_USER SERVER incomplete OPTIONS (auth 'none');
CREATE FOREIGN TABLE ft_incomplete (x bigint) SERVER incomplete;
SELECT * FROM ft_incomplete;
\set VERBOSITY terse
DROP SERVER incomplete CASCADE;
\set VERBOSITY default

-- ===================================================================
-- user mapping options
-- ===================================================================
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (auth 'kerberos');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (acces_token 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');

-- table and column options
CREATE FOREIGN TABLE ft_bad (x bigint) SERVER sp OPTIONS (tabel_name 'x');
CREATE FOREIGN TABLE ft_bad (x bigint OPTIONS (colum_name 'y')) SERVER sp;
CREATE FOREIGN TABLE ft_bad (x bigint OPTIONS (key 'perhaps')) SERVER sp;
-- key: a boolean or the column's position in the primary key
CREATE FOREIGN TABLE ft_bad (x bigint OPTIONS (key '-1')) SERVER sp;
CREATE FOREIGN TABLE ft_bad (x bigint OPTIONS (key '99999')) SERVER sp;
CREATE FOREIGN TABLE ft_keys (a bigint OPTIONS (key '2'), b text OPTIONS (key '1'),
  c text OPTIONS (key 'false'), d text OPTIONS (key '0'), e text OPTIONS (key 'on')) SERVER sp;
DROP FOREIGN TABLE ft_keys;
CREATE FOREIGN TABLE singers (
  id bigint OPTIONS (column_name 'SingerId', key 'true'),
  last text OPTIONS (column_name 'LastName')
) SERVER sp OPTIONS (table_name 'Singers');
SELECT id, last FROM singers WHERE id <= 3 ORDER BY id;

-- ===================================================================
-- privileges: what a non-superuser may not set
-- ===================================================================
CREATE ROLE regress_spanner_user;
GRANT USAGE ON FOREIGN DATA WRAPPER spanner_fdw TO regress_spanner_user;
GRANT USAGE ON FOREIGN SERVER sp TO regress_spanner_user;
SET ROLE regress_spanner_user;
CREATE SERVER evil FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project 'p', instance 'ii', database 'dd', endpoint 'https://attacker.example.com');
CREATE SERVER evil FOREIGN DATA WRAPPER spanner_fdw OPTIONS (ca_file '/tmp/ca.pem');
CREATE SERVER fine FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project 'p', instance 'ii', database 'dd', endpoint 'https://us-central1-spanner.googleapis.com');
DROP SERVER fine;
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (allow_ambient_credentials 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (allow_custom_urls 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (credentials_file '/etc/passwd');
-- a mapping with no credentials is refused when used
CREATE USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (database_role 'reader');
RESET ROLE;
GRANT SELECT ON singers TO regress_spanner_user;
SET ROLE regress_spanner_user;
SELECT id FROM singers WHERE id = 1;
-- without SELECT on the foreign table, planning asks Spanner nothing (here
-- it could not: the mapping has no credentials); PostgreSQL refuses
RESET ROLE;
REVOKE SELECT ON singers FROM regress_spanner_user;
ALTER FOREIGN TABLE singers OPTIONS (ADD updatable 'true');
SET ROLE regress_spanner_user;
SELECT id FROM singers WHERE id = 1;
RESET ROLE;
ALTER FOREIGN TABLE singers OPTIONS (DROP updatable);
-- other roles cannot read the options of a mapping
RESET ROLE;
ALTER USER MAPPING FOR regress_spanner_user SERVER sp OPTIONS (ADD access_token 'secret-token-value');
CREATE ROLE regress_other;
SET ROLE regress_other;
SELECT srvname, usename, umoptions FROM pg_user_mappings WHERE srvname = 'sp' AND usename LIKE 'regress%';
RESET ROLE;
DROP USER MAPPING FOR regress_spanner_user SERVER sp;
REVOKE ALL ON singers FROM regress_spanner_user;
REVOKE USAGE ON FOREIGN SERVER sp FROM regress_spanner_user;
REVOKE USAGE ON FOREIGN DATA WRAPPER spanner_fdw FROM regress_spanner_user;
DROP ROLE regress_spanner_user;
DROP ROLE regress_other;

-- auth 'none' is only for loopback endpoints (a superuser may set any endpoint)
CREATE SERVER remote FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project 'p', instance 'ii', database 'dd', endpoint 'https://spanner.googleapis.com');
CREATE USER MAPPING FOR CURRENT_USER SERVER remote OPTIONS (auth 'none');
CREATE FOREIGN TABLE ft_remote (x bigint) SERVER remote;
SELECT * FROM ft_remote;
\set VERBOSITY terse
DROP SERVER remote CASCADE;
\set VERBOSITY default

-- ===================================================================
-- connection cache: listing, invalidation on ALTER, disconnect
-- ===================================================================
SELECT spanner_fdw_disconnect_all();
SELECT count(*) FROM singers;
SELECT server_name, valid, session_count FROM spanner_fdw_get_connections();
-- pointing the server at another database takes effect at once
ALTER SERVER sp OPTIONS (SET database 'nosuchdb');
\set VERBOSITY terse
SELECT count(*) FROM singers;
\set VERBOSITY default
ALTER SERVER sp OPTIONS (SET database 'test');
SELECT count(*) FROM singers;
-- inside a transaction the connection stays valid until the end
BEGIN;
SELECT count(*) FROM singers;
ALTER USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (ADD database_role 'public');
SELECT server_name, valid FROM spanner_fdw_get_connections();
COMMIT;
SELECT server_name, valid FROM spanner_fdw_get_connections();
SELECT count(*) FROM singers;
SELECT server_name, valid FROM spanner_fdw_get_connections();
ALTER USER MAPPING FOR CURRENT_USER SERVER sp OPTIONS (DROP database_role);
SELECT count(*) FROM singers;
SELECT spanner_fdw_disconnect('sp');
SELECT spanner_fdw_disconnect('sp');
SELECT server_name FROM spanner_fdw_get_connections();
SELECT spanner_fdw_disconnect('nosuchserver');
-- keep_connections off: the connection is closed at the end of each transaction
ALTER SERVER sp OPTIONS (ADD keep_connections 'off');
SELECT count(*) FROM singers;
SELECT server_name FROM spanner_fdw_get_connections();
ALTER SERVER sp OPTIONS (DROP keep_connections);
DROP FOREIGN TABLE singers;
