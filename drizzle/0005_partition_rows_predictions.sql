-- Retention (issue #18): `rows` and `predictions` become tables range-partitioned by `created_at`,
-- one partition per UTC day, so whole days older than RETAIN_DAYS are dropped (a catalog
-- operation) instead of deleted row by row. Every existing row keeps its id and values: the old
-- tables are renamed, the partitioned ones created beside them, the data copied, the old tables
-- dropped, all in the migration's one transaction. Each table keeps its id sequence (the same
-- object, so the prediction id fence of 0003 and every id handed out so far stay valid).
--
-- Partitions of each table: `<t>_history` (everything before the UTC day the migration ran),
-- `<t>_pYYYYMMDD` per UTC day (the maintenance job keeps two days ahead), and `<t>_default`, a
-- safety net that catches a row no day partition covers (maintenance fell behind) so inserts never
-- fail; the job moves such rows into their day's partition. A primary key of a partitioned table
-- must include the partition key: it is (id, created_at). Ids stay unique because only their
-- sequence hands them out (SQL in packages/core/src/storage/retention-storage.ts; docs/architecture.md).
--
-- DDL on partitions needs the tables' owner; the platform's app role (DATABASE_APP_ROLE) has none,
-- so the two operations the maintenance job needs are SECURITY DEFINER functions that only ever
-- touch these two tables' partitions, executable by the app role (granted by `migrate`).
CREATE FUNCTION automl_create_day_partition(parent text, day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '10s' AS $$
DECLARE
  part text := parent || '_p' || to_char(day, 'YYYYMMDD');
  lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF parent NOT IN ('rows', 'predictions') THEN
    RAISE EXCEPTION 'automl_create_day_partition: % is not a partitioned table of the platform', parent;
  END IF;
  -- Serialises maintenance runs (several workers, or a run racing the migration's own calls).
  PERFORM pg_advisory_xact_lock(7301946225);
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS)', part, parent);
  -- Rows the default partition caught for this day move in first: attaching the day while the
  -- default still held some would fail.
  IF to_regclass(parent || '_default') IS NOT NULL THEN
    EXECUTE format(
      'WITH moved AS (DELETE FROM %I WHERE created_at >= %L AND created_at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
      parent || '_default', lo, hi, part);
  END IF;
  -- ATTACH takes SHARE UPDATE EXCLUSIVE on the parent: inserts and reads go on meanwhile.
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, lo, hi);
  RETURN true;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION automl_drop_partition(parent text, part text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '10s' AS $$
DECLARE
  bound text;
BEGIN
  IF parent NOT IN ('rows', 'predictions') THEN
    RAISE EXCEPTION 'automl_drop_partition: % is not a partitioned table of the platform', parent;
  END IF;
  PERFORM pg_advisory_xact_lock(7301946225);
  SELECT pg_get_expr(c.relpartbound, c.oid) INTO bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = parent::regclass AND c.relname = part;
  IF bound IS NULL THEN
    RETURN false;
  END IF;
  IF bound = 'DEFAULT' THEN
    RAISE EXCEPTION 'automl_drop_partition: % is the default partition of %, which is never dropped', part, parent;
  END IF;
  EXECUTE format('DROP TABLE %I', part);
  RETURN true;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION automl_create_day_partition(text, date) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION automl_drop_partition(text, text) FROM PUBLIC;
--> statement-breakpoint
ALTER TABLE "rows" RENAME TO "rows_before_partitioning";
--> statement-breakpoint
ALTER TABLE "predictions" RENAME TO "predictions_before_partitioning";
--> statement-breakpoint
-- The sequences outlive their old tables: owned by nobody while the old tables are dropped.
ALTER SEQUENCE "rows_id_seq" OWNED BY NONE;
--> statement-breakpoint
ALTER SEQUENCE "predictions_id_seq" OWNED BY NONE;
--> statement-breakpoint
CREATE TABLE "rows" (
	"id" bigint DEFAULT nextval('rows_id_seq'::regclass) NOT NULL,
	"batch_pk" bigint NOT NULL,
	"features" double precision[] NOT NULL,
	"label" integer,
	"scored_label" integer,
	"scored_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" bigint DEFAULT nextval('predictions_id_seq'::regclass) NOT NULL,
	"features" double precision[] NOT NULL,
	"label" integer NOT NULL,
	"probabilities" real[] NOT NULL,
	"model_version" integer NOT NULL,
	"feedback_label" integer,
	"feedback_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
ALTER SEQUENCE "rows_id_seq" OWNED BY "rows"."id";
--> statement-breakpoint
ALTER SEQUENCE "predictions_id_seq" OWNED BY "predictions"."id";
--> statement-breakpoint
DO $$
DECLARE
  day0 date := (now() AT TIME ZONE 'UTC')::date;
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['rows', 'predictions'] LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (MINVALUE) TO (%L)',
      t || '_history', t, day0::timestamp AT TIME ZONE 'UTC');
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_default', t);
    FOR i IN 0..2 LOOP
      PERFORM automl_create_day_partition(t, day0 + i);
    END LOOP;
  END LOOP;
END;
$$;
--> statement-breakpoint
INSERT INTO "rows" ("id", "batch_pk", "features", "label", "scored_label", "scored_version", "created_at")
  SELECT "id", "batch_pk", "features", "label", "scored_label", "scored_version", "created_at"
  FROM "rows_before_partitioning";
--> statement-breakpoint
INSERT INTO "predictions" ("id", "features", "label", "probabilities", "model_version", "feedback_label", "feedback_at", "created_at")
  SELECT "id", "features", "label", "probabilities", "model_version", "feedback_label", "feedback_at", "created_at"
  FROM "predictions_before_partitioning";
--> statement-breakpoint
DROP TABLE "rows_before_partitioning";
--> statement-breakpoint
DROP TABLE "predictions_before_partitioning";
--> statement-breakpoint
-- Indexes on the parents are created on every partition, and on each one attached later.
ALTER TABLE "rows" ADD CONSTRAINT "rows_pkey" PRIMARY KEY ("id", "created_at");
--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_pkey" PRIMARY KEY ("id", "created_at");
--> statement-breakpoint
CREATE INDEX "rows_batch_pk_idx" ON "rows" USING btree ("batch_pk");
--> statement-breakpoint
CREATE INDEX "rows_labelled_id_idx" ON "rows" USING btree ("id") WHERE "rows"."label" is not null;
--> statement-breakpoint
CREATE INDEX "predictions_model_version_idx" ON "predictions" USING btree ("model_version", "id");
--> statement-breakpoint
CREATE INDEX "predictions_feedback_idx" ON "predictions" USING btree ("feedback_at") WHERE "predictions"."feedback_label" is not null;
--> statement-breakpoint
CREATE INDEX "predictions_created_at_idx" ON "predictions" USING btree ("created_at");
--> statement-breakpoint
-- Deleting a batch still deletes its rows, in whichever partitions they are; dropping a partition
-- of `rows` needs nothing of `batches` (no foreign key points to rows or predictions).
ALTER TABLE "rows" ADD CONSTRAINT "rows_batch_pk_batches_id_fk" FOREIGN KEY ("batch_pk") REFERENCES "public"."batches"("id") ON DELETE cascade ON UPDATE no action;
