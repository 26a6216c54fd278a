-- ===================================================================
-- timestamps and dates: conditions sent as ranges on the bare column
-- mean what they mean locally, nanoseconds included; values Spanner
-- cannot represent (infinity, BC, past 9999) known only at run time
-- give PostgreSQL's answer
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
CREATE SCHEMA tsx;
SET search_path = tsx, public;
-- AllTypes.ColTimestamp holds 2024-02-29T12:34:56.123456789Z and
-- 9999-12-31T23:59:59.999999999Z: nanoseconds PostgreSQL truncates
CREATE FOREIGN TABLE ts_t (id bigint OPTIONS (column_name 'Id'),
  ts timestamptz OPTIONS (column_name 'ColTimestamp'),
  d date OPTIONS (column_name 'ColDate'))
  SERVER sp OPTIONS (table_name 'AllTypes');
-- the same rows, compared locally
CREATE TABLE ts_local AS SELECT id, ts, d FROM ts_t;
SELECT count(*) AS nrows, count(ts) AS nts FROM ts_local;
SELECT id, ts FROM ts_local WHERE id IN (9, 14) ORDER BY id;

-- every comparison operator against values on, just before and just after
-- the truncated nanosecond values, and the ends of Spanner's range
CREATE TABLE ts_consts (c timestamptz);
INSERT INTO ts_consts VALUES
  ('2024-02-29 12:34:56.123455+00'), ('2024-02-29 12:34:56.123456+00'),
  ('2024-02-29 12:34:56.123457+00'), ('9999-12-31 23:59:59.999998+00'),
  ('9999-12-31 23:59:59.999999+00'), ('0001-01-01 00:00:00+00'),
  ('0001-01-01 00:00:00.000001+00'), ('1969-12-28 23:59:59.5+00'),
  ('2024-01-01 12:00:00+00'), ('294276-12-31 23:59:59.999999+00'),
  ('infinity'), ('-infinity'), (NULL);
CREATE FUNCTION ts_mismatches(op text, generic bool) RETURNS TABLE (pushed bool, mismatches int)
LANGUAGE plpgsql AS $$
DECLARE
  c timestamptz;
  remote bigint[];
  loc bigint[];
  plan text;
  n int := 0;
  all_pushed bool := true;
BEGIN
  FOR c IN SELECT ts_consts.c FROM ts_consts LOOP
    IF generic THEN
      EXECUTE format('PREPARE ts_q(timestamptz) AS SELECT array_agg(id ORDER BY id) FROM tsx.ts_t WHERE ts %s $1', op);
      SET plan_cache_mode = force_generic_plan;
      EXECUTE 'EXECUTE ts_q(' || quote_nullable(c) || ')' INTO remote;
      FOR plan IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) EXECUTE ts_q(' || quote_nullable(c) || ')' LOOP
        EXIT WHEN plan LIKE '%Remote SQL%';
      END LOOP;
      RESET plan_cache_mode;
      DEALLOCATE ts_q;
    ELSE
      EXECUTE format('SELECT array_agg(id ORDER BY id) FROM tsx.ts_t WHERE ts %s %L::timestamptz', op, c) INTO remote;
      FOR plan IN EXECUTE format('EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM tsx.ts_t WHERE ts %s %L::timestamptz', op, c) LOOP
        EXIT WHEN plan LIKE '%Remote SQL%';
      END LOOP;
    END IF;
    EXECUTE format('SELECT array_agg(id ORDER BY id) FROM tsx.ts_local WHERE ts %s %L::timestamptz', op, c) INTO loc;
    IF remote IS DISTINCT FROM loc THEN
      n := n + 1;
      RAISE NOTICE 'ts % %: Spanner % local %', op, c, remote, loc;
    END IF;
    -- in Spanner's range (v + 1us too): always sent; NULL folds away
    IF c >= '0001-01-01 00:00:00+00' AND c < '9999-12-31 23:59:59.999999+00'
       AND plan NOT LIKE '%WHERE%' THEN
      all_pushed := false;
    END IF;
  END LOOP;
  RETURN QUERY SELECT all_pushed, n;
END $$;
SELECT op, (ts_mismatches(op, false)).* FROM unnest(ARRAY['=', '<>', '<', '<=', '>', '>=']) op;
-- the same through a generic plan's parameter
SELECT op, (ts_mismatches(op, true)).* FROM unnest(ARRAY['=', '<>', '<', '<=', '>', '>=']) op;
-- what is sent: a range on the bare column, v + 1us computed locally
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM ts_t WHERE ts = '2024-02-29 12:34:56.123456+00';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM ts_t WHERE '2024-02-29 12:34:56.123456+00' < ts;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM ts_t WHERE ts <> '2024-02-29 12:34:56.123456+00';

-- run-time values outside Spanner's range: PostgreSQL's answer, no error
PREPARE ts_lt(timestamptz) AS SELECT count(*) FROM ts_t WHERE ts < $1;
PREPARE ts_ge(timestamptz) AS SELECT count(*) FROM ts_t WHERE ts >= $1;
PREPARE d_le(date) AS SELECT count(*) FROM ts_t WHERE d <= $1;
PREPARE d_gt(date) AS SELECT count(*) FROM ts_t WHERE d > $1 AND id > 0;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE ts_lt('infinity');
CREATE TABLE ts_bounds (t timestamptz, d date);
INSERT INTO ts_bounds VALUES ('infinity', 'infinity'), ('-infinity', '-infinity'),
  ('0044-03-15 BC', '0044-03-15 BC'), ('10000-01-01', '10000-01-01'),
  ('294276-12-31 23:59:59+00', '5874897-12-31'), ('2000-01-01', '2000-01-01');
CREATE FUNCTION ts_bound_counts(t timestamptz, d date, OUT lt bigint, OUT ge bigint,
  OUT le bigint, OUT gt bigint, OUT agrees bool) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'EXECUTE ts_lt(' || quote_literal(t) || ')' INTO lt;
  EXECUTE 'EXECUTE ts_ge(' || quote_literal(t) || ')' INTO ge;
  EXECUTE 'EXECUTE d_le(' || quote_literal(d) || ')' INTO le;
  EXECUTE 'EXECUTE d_gt(' || quote_literal(d) || ')' INTO gt;
  agrees := lt = (SELECT count(*) FROM tsx.ts_local l WHERE l.ts < t)
    AND ge = (SELECT count(*) FROM tsx.ts_local l WHERE l.ts >= t)
    AND le = (SELECT count(*) FROM tsx.ts_local l WHERE l.d <= ts_bound_counts.d)
    AND gt = (SELECT count(*) FROM tsx.ts_local l WHERE l.d > ts_bound_counts.d AND l.id > 0);
END $$;
SELECT t, d, (ts_bound_counts(t, d)).* FROM ts_bounds ORDER BY t;
RESET plan_cache_mode;
-- an initplan's value is known only at run time too
SELECT count(*) FROM ts_t WHERE ts < (SELECT 'infinity'::timestamptz);
SELECT count(*) FROM ts_t WHERE ts > (SELECT '-infinity'::timestamptz);
SELECT count(*) FROM ts_t WHERE ts >= (SELECT 'infinity'::timestamptz);
SELECT count(*) FROM ts_t WHERE d < (SELECT '10000-01-01'::date) AND ts < (SELECT now());
SELECT count(*) FROM ts_local WHERE d < '10000-01-01' AND ts < now();
-- an in-range initplan still goes to Spanner with its condition
SELECT array_agg(id ORDER BY id) FROM ts_t WHERE ts >= (SELECT '2024-02-29 12:34:56.123456+00'::timestamptz);
SELECT array_agg(id ORDER BY id) FROM ts_local WHERE ts >= '2024-02-29 12:34:56.123456+00';
\set VERBOSITY terse
DROP SCHEMA tsx CASCADE;
\set VERBOSITY default
