-- The reader keeps nothing past its session and signals no one (hardening finding 8): large
-- objects outlive the session that made them, and pg_notify reaches every listener. Both
-- functions go to the writer only; on a server without a superuser this is skipped with a notice.
-- (The NOTIFY statement itself cannot be revoked in PostgreSQL; Canvass listens on no channel.
-- A role may always change its own password: Canvass sets the reader's from its credentials file
-- on every `canvass warehouse start` and migration, so a changed one does not last.)
do $$
declare
    fn regprocedure;
begin
    for fn in
        select p.oid::regprocedure
        from pg_proc as p
        where p.proname in ('lo_create', 'lo_creat', 'lo_from_bytea', 'lo_import', 'pg_notify')
    loop
        execute format('grant execute on function %s to %I', fn, current_user);
        execute format('revoke execute on function %s from public', fn);
    end loop;
exception
    when insufficient_privilege then
        raise notice 'large-object and notify functions left to PUBLIC: % (needs a superuser)',
            sqlerrm;
end
$$;
