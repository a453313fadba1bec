-- The API and the dashboard read delivery marts only (ML outputs come back through dbt as the
-- `ml` source), so the read-only role no longer reads the ml schema.
revoke select on all tables in schema ml from canvass_reader;
alter default privileges in schema ml revoke select on tables from canvass_reader;
revoke usage on schema ml from canvass_reader;
