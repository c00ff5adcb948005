#!/bin/sh
# Creates the platform's database roles (security audit M14). The official postgres image runs it
# once, on the first start with an empty volume (/docker-entrypoint-initdb.d/), as POSTGRES_USER:
#   automl_owner  owns the database's public schema; the migrate step connects as it (DDL)
#   automl_app    servers and workers; the migrate step grants it data access only
# Neither is a superuser, nor may create roles or databases. On a volume created before these
# roles existed, run it once by hand:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-roles.sh
set -eu
: "${AUTOML_OWNER_DB_PASSWORD:?set AUTOML_OWNER_DB_PASSWORD}"
: "${AUTOML_APP_DB_PASSWORD:?set AUTOML_APP_DB_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-automl}" \
  -v owner_password="$AUTOML_OWNER_DB_PASSWORD" -v app_password="$AUTOML_APP_DB_PASSWORD" \
  -v db="${POSTGRES_DB:-automl}" <<'SQL'
create role automl_owner login nosuperuser nocreatedb nocreaterole password :'owner_password';
create role automl_app login nosuperuser nocreatedb nocreaterole password :'app_password';
-- The owner creates the schemas drizzle and pgboss and everything in public.
grant create, connect on database :"db" to automl_owner;
alter schema public owner to automl_owner;
-- The app may connect and nothing more here; the migrate step grants it the tables' data.
revoke create on schema public from public;
revoke all on database :"db" from public;
grant connect on database :"db" to automl_app;
SQL
