-- Event ids follow commit order (security audit M1). Readers page the log by `id > last id`; an
-- id taken by a transaction that commits after a later id's would be skipped for good. Every
-- INSERT into events (appendEvent, or any other writer: psql, a script) first takes one
-- transaction-scoped advisory lock, in a statement-level BEFORE trigger, that is before the row's
-- id is drawn from the sequence: a second writer waits until the first commits or rolls back, so
-- a committed id is never followed by a smaller one committing later. Events are appended last in
-- their transactions and are few (checks, training steps, promotions), so the wait is short.
CREATE FUNCTION events_serialize_appends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7301946224);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER events_serialize_appends BEFORE INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_serialize_appends();
