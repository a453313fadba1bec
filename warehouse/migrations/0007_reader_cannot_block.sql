-- The read-only role can neither write nor block (hardening finding 2): a reader holding a
-- transaction open on two marts made dbt wait 95 s and starved the API; the reader could take the
-- loader's advisory lock and stall every load; it opened 57 of 60 connections.

-- Bounded sessions: at most 20 connections; a statement, a lock wait and an idle transaction are
-- cut short. (A role setting is a default the session may change; the writer's side is bounded
-- too: dbt runs with a lock timeout and names the sessions that block it.)
alter role canvass_reader connection limit 20;
alter role canvass_reader set statement_timeout = '10s';
alter role canvass_reader set lock_timeout = '2s';
alter role canvass_reader set idle_in_transaction_session_timeout = '15s';

-- No temporary tables or functions for roles granted nothing: TEMP goes to the role that migrates
-- (the writer) only. PUBLIC keeps CONNECT to this database (the reader needs it).
do $$
begin
    execute format('grant temporary on database %I to %I', current_database(), current_user);
    execute format('revoke temporary on database %I from public', current_database());
end
$$;

-- Advisory locks (the loader's and the migrations' serialisation) for the writer only: revoke the
-- lock-taking functions from PUBLIC and grant them to the migrating role. Changing privileges on
-- pg_catalog functions needs a superuser; on a managed server without one this is skipped with a
-- notice, and the reader keeps the ability to take an advisory lock there.
do $$
declare
    fn regprocedure;
begin
    for fn in
        select p.oid::regprocedure
        from pg_proc as p
        where p.proname like 'pg%advisory%lock%' and p.proname not like '%unlock%'
    loop
        execute format('grant execute on function %s to %I', fn, current_user);
        execute format('revoke execute on function %s from public', fn);
    end loop;
exception
    when insufficient_privilege then
        raise notice 'advisory lock functions left to PUBLIC: % (needs a superuser)', sqlerrm;
end
$$;
