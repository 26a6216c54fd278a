-- ===================================================================
-- types: every Spanner column type into its natural PostgreSQL type,
-- conversions to other compatible declared types, and clear errors
-- ===================================================================
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SET extra_float_digits = 0;
SELECT current_setting('spanner_test.endpoint') AS endpoint,
       current_setting('spanner_test.project') AS project,
       current_setting('spanner_test.instance') AS instance \gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS spanner_fdw;
CREATE SERVER IF NOT EXISTS sp FOREIGN DATA WRAPPER spanner_fdw
  OPTIONS (project :'project', instance :'instance', database 'test', endpoint :'endpoint');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER sp OPTIONS (auth 'none');
RESET client_min_messages;
CREATE SCHEMA types;
SET search_path = types, public;
IMPORT FOREIGN SCHEMA public LIMIT TO ("AllTypes") FROM SERVER sp INTO types;
\d "AllTypes"

-- ===================================================================
-- natural types
-- ===================================================================
SELECT "Id", "ColBool", "ColInt64", "ColFloat32", "ColFloat64", "ColNumeric"
  FROM "AllTypes" ORDER BY "Id";
SELECT "Id", "ColString", "ColBytes", "ColDate", "ColTimestamp", "ColJson"
  FROM "AllTypes" ORDER BY "Id";
-- FLOAT64 -0 keeps its sign
SELECT "Id", "ColFloat64"::text, "ColFloat32"::text FROM "AllTypes" WHERE "Id" = 19;
-- arrays keep NULL elements; empty arrays are empty
SELECT "Id", "ArrBool", "ArrInt64", "ArrFloat32", "ArrFloat64" FROM "AllTypes" ORDER BY "Id";
SELECT "Id", "ArrNumeric", "ArrString", "ArrBytes" FROM "AllTypes" ORDER BY "Id";
SELECT "Id", "ArrDate", "ArrTimestamp", "ArrJson" FROM "AllTypes" ORDER BY "Id";
SELECT "Id", array_length("ArrInt64", 1), "ArrInt64"[2] IS NULL AS second_is_null
  FROM "AllTypes" WHERE "Id" IN (1, 2, 3, 5) ORDER BY "Id";

-- ===================================================================
-- other declared types
-- ===================================================================
CREATE FOREIGN TABLE alt (
  id bigint OPTIONS (column_name 'Id'),
  i4 int4 OPTIONS (column_name 'ColInt64'),
  i2 int2 OPTIONS (column_name 'ColInt64'),
  i_num numeric OPTIONS (column_name 'ColInt64'),
  i_txt text OPTIONS (column_name 'ColInt64'),
  s_vc varchar(6) OPTIONS (column_name 'ColString'),
  s_ch char(8) OPTIONS (column_name 'ColString'),
  ts_local timestamp OPTIONS (column_name 'ColTimestamp'),
  ts_date date OPTIONS (column_name 'ColTimestamp'),
  d_tstz timestamptz OPTIONS (column_name 'ColDate'),
  n_f8 float8 OPTIONS (column_name 'ColNumeric'),
  n_2 numeric(6,2) OPTIONS (column_name 'ColNumeric'),
  f_txt text OPTIONS (column_name 'ColFloat64'),
  f_num numeric OPTIONS (column_name 'ColFloat64'),
  f_f4 real OPTIONS (column_name 'ColFloat64'),
  f32_f8 float8 OPTIONS (column_name 'ColFloat32'),
  j_json json OPTIONS (column_name 'ColJson'),
  j_txt text OPTIONS (column_name 'ColJson'),
  b_bool bool OPTIONS (column_name 'ColBool'),
  b_int int4 OPTIONS (column_name 'ColBool'),
  by_txt text OPTIONS (column_name 'ColBytes'),
  ai_i4 int4[] OPTIONS (column_name 'ArrInt64'),
  ai_txt text OPTIONS (column_name 'ArrInt64'),
  as_vc varchar(10)[] OPTIONS (column_name 'ArrString')
) SERVER sp OPTIONS (table_name 'AllTypes');

-- INT64 into smaller integers, numeric and text
SELECT id, i4, i2, i_num, i_txt FROM alt WHERE id IN (1, 3, 5) ORDER BY id;
SELECT id, i_num, i_txt FROM alt WHERE id IN (4, 9) ORDER BY id;
SELECT id, i4 FROM alt WHERE id = 4;
SELECT id, i2 FROM alt WHERE id = 16;
-- STRING into varchar(n) and char(n)
SELECT id, s_vc, s_ch || '|' AS s_ch FROM alt WHERE id IN (1, 2, 3) ORDER BY id;
SELECT id, s_vc FROM alt WHERE id = 9;
SELECT id, s_vc FROM alt WHERE id = 11;
-- TIMESTAMP seen as local time in the session's zone, and as a date
SELECT id, ts_local, ts_date FROM alt WHERE id IN (1, 3, 9, 14) ORDER BY id;
SET TimeZone = 'America/New_York';
SELECT id, ts_local, ts_date FROM alt WHERE id IN (1, 3) ORDER BY id;
SET TimeZone = 'UTC';
-- DATE as timestamptz
SELECT id, d_tstz FROM alt WHERE id IN (1, 3) ORDER BY id;
-- NUMERIC as float8 and as numeric(6,2)
SELECT id, n_f8, n_2 FROM alt WHERE id IN (1, 3, 14) ORDER BY id;
SELECT id, n_2 FROM alt WHERE id = 4;
-- FLOAT64 as text, numeric and real
SELECT id, f_txt, f_num FROM alt WHERE id IN (1, 4, 9, 14, 19) ORDER BY id;
SELECT id, f_f4 FROM alt WHERE id IN (1, 4, 9) ORDER BY id;
SELECT id, f32_f8 FROM alt WHERE id IN (1, 14) ORDER BY id;
-- JSON as json and text
SELECT id, j_json, j_txt FROM alt WHERE id IN (1, 3, 9) ORDER BY id;
-- arrays into other element types and into text
SELECT id, ai_i4, ai_txt, as_vc FROM alt WHERE id IN (1, 2, 3) ORDER BY id;
SELECT id, ai_i4 FROM alt WHERE id = 4;
-- mismatches name the column, the table and the value
SELECT id, b_int FROM alt WHERE id = 1;
SELECT id, by_txt FROM alt WHERE id = 1;
SELECT id, b_bool FROM alt WHERE id IN (1, 3, 5) ORDER BY id;
CREATE FOREIGN TABLE alt_uuid (id bigint OPTIONS (column_name 'Id'),
  u uuid OPTIONS (column_name 'ColString')) SERVER sp OPTIONS (table_name 'AllTypes');
SELECT u FROM alt_uuid WHERE id = 5;
SELECT u FROM alt_uuid WHERE id = 1;
-- a STRING column may be declared as any type whose input function takes the text
CREATE FOREIGN TABLE alt_name (id bigint OPTIONS (column_name 'Id'),
  s name OPTIONS (column_name 'ColString')) SERVER sp OPTIONS (table_name 'AllTypes');
SELECT s FROM alt_name WHERE id = 1;
CREATE FOREIGN TABLE alt_scalar (id bigint OPTIONS (column_name 'Id'),
  a bigint OPTIONS (column_name 'ArrInt64')) SERVER sp OPTIONS (table_name 'AllTypes');
SELECT a FROM alt_scalar WHERE id = 1;
-- a condition on a column whose declared type compares differently from its
-- Spanner type (FLOAT64 declared numeric: NaN) is checked locally
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM alt WHERE f_num > 0;
SELECT id FROM alt WHERE f_num > 0 ORDER BY id;
SELECT id FROM alt WHERE i_num = 100;
DROP SCHEMA types CASCADE;
