-- Run once by the postgres image on an empty data volume (mounted into /docker-entrypoint-initdb.d
-- by docker-compose.yml). One database per service, owned by that service's own login role and
-- closed to every other role (a new database lets any role connect until PUBLIC is revoked), so no
-- service can reach another's tables. Development credentials only: never reuse them elsewhere.
-- PostgreSQL 15 lets a database's owner create tables in its public schema: all Alembic needs.

CREATE ROLE cases LOGIN PASSWORD 'cases';
CREATE DATABASE cases OWNER cases;
REVOKE CONNECT, TEMPORARY ON DATABASE cases FROM PUBLIC;

CREATE ROLE questionnaires LOGIN PASSWORD 'questionnaires';
CREATE DATABASE questionnaires OWNER questionnaires;
REVOKE CONNECT, TEMPORARY ON DATABASE questionnaires FROM PUBLIC;

CREATE ROLE scoring LOGIN PASSWORD 'scoring';
CREATE DATABASE scoring OWNER scoring;
REVOKE CONNECT, TEMPORARY ON DATABASE scoring FROM PUBLIC;

CREATE ROLE reporting LOGIN PASSWORD 'reporting';
CREATE DATABASE reporting OWNER reporting;
REVOKE CONNECT, TEMPORARY ON DATABASE reporting FROM PUBLIC;
