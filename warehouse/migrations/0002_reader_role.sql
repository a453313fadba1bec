-- The API and the dashboard connect as canvass_reader: it can read marts and ml, write nothing.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'canvass_reader') then
        create role canvass_reader login nosuperuser nocreatedb nocreaterole noinherit;
    end if;
end
$$;

create schema if not exists marts;
grant usage on schema marts, ml to canvass_reader;
grant select on all tables in schema marts, ml to canvass_reader;
alter default privileges in schema marts grant select on tables to canvass_reader;
alter default privileges in schema ml grant select on tables to canvass_reader;
