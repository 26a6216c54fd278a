/* spanner_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION spanner_fdw" to load this file. \quit

CREATE FUNCTION spanner_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION spanner_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER spanner_fdw
  HANDLER spanner_fdw_handler
  VALIDATOR spanner_fdw_validator;

CREATE FUNCTION spanner_fdw_get_connections (OUT server_name text,
    OUT user_name text, OUT valid boolean, OUT session_count integer,
    OUT transaction text)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE FUNCTION spanner_fdw_disconnect (text)
RETURNS bool
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE FUNCTION spanner_fdw_disconnect_all ()
RETURNS bool
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE FUNCTION spanner_fdw_commit_timestamp()
RETURNS timestamptz
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION spanner_fdw_commit_timestamp()
IS 'commit timestamp of this session''s last Spanner commit that wrote, or NULL';
