-- Tessera: the two database roles and the database, for the docker-compose PostgreSQL.
--
-- Run once by the postgres image's entrypoint (docker-entrypoint-initdb.d), as the
-- superuser, on an empty data directory only. It is the same as what
-- libs/database/src/provision.ts does for the embedded default and the tests:
--   tessera_owner  owns the database and the schema; runs migrations (DATABASE_OWNER_URL).
--   tessera_app    what the API connects as (DATABASE_URL): not superuser, not the owner,
--                  no BYPASSRLS, so row-level security always applies to it.
-- Table privileges for tessera_app are granted by the migrations, not here.
--
-- Passwords come from the container environment (psql \getenv, PostgreSQL 15+):
-- TESSERA_OWNER_DB_PASSWORD and TESSERA_APP_DB_PASSWORD, set in docker-compose.yml.
-- Changing them later does not re-run this script: use ALTER ROLE ... PASSWORD.

\set ON_ERROR_STOP on

\getenv owner_password TESSERA_OWNER_DB_PASSWORD
\getenv app_password TESSERA_APP_DB_PASSWORD

\if :{?owner_password}
\else
  \warn 'TESSERA_OWNER_DB_PASSWORD is not set in the postgres container'
  SELECT 1 / 0 AS tessera_owner_db_password_missing;
\endif
\if :{?app_password}
\else
  \warn 'TESSERA_APP_DB_PASSWORD is not set in the postgres container'
  SELECT 1 / 0 AS tessera_app_db_password_missing;
\endif

CREATE ROLE tessera_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
  PASSWORD :'owner_password';
CREATE ROLE tessera_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT NOREPLICATION
  PASSWORD :'app_password';

CREATE DATABASE tessera OWNER tessera_owner ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE tessera FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE tessera TO tessera_app;
GRANT ALL ON DATABASE tessera TO tessera_owner;

-- Inside the new database: only the owner may create objects in public.
\connect tessera
ALTER SCHEMA public OWNER TO tessera_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tessera_app;
