-- Many pipelines (issue #15): every per-pipeline table gets `pipeline_id`; what is stored belongs
-- to `default`, which is pipeline 1 (drizzle/0006 inserted it first; checked below). Adding a
-- column with a constant default is a catalog change only, also on the partitioned rows and
-- predictions. Model versions are numbered per pipeline; batch ids are unique per pipeline.
DO $$ BEGIN
  IF (SELECT id FROM "pipelines" WHERE "name" = 'default') IS DISTINCT FROM 1 THEN
    RAISE EXCEPTION 'the default pipeline must have id 1';
  END IF;
END $$;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "pipelines" text[];--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "drift_checks" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "model_history" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "n_features" integer;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "config" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "pipelines" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "predictions" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "rows" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "training_jobs" ADD COLUMN "pipeline_id" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
UPDATE "pipelines" SET "n_features" = (SELECT "n_features" FROM "platform_settings" WHERE "id" = 1) WHERE "id" = 1;--> statement-breakpoint
ALTER TABLE "model_versions" DROP CONSTRAINT "model_versions_pkey";--> statement-breakpoint
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_pkey" PRIMARY KEY("pipeline_id","version");--> statement-breakpoint
DROP INDEX "batches_batch_id_key";--> statement-breakpoint
DROP INDEX "drift_checks_created_idx";--> statement-breakpoint
DROP INDEX "drift_checks_drifted_idx";--> statement-breakpoint
DROP INDEX "drift_checks_manual_idx";--> statement-breakpoint
DROP INDEX "model_versions_one_production";--> statement-breakpoint
DROP INDEX "predictions_model_version_idx";--> statement-breakpoint
DROP INDEX "predictions_feedback_idx";--> statement-breakpoint
DROP INDEX "rows_labelled_id_idx";--> statement-breakpoint
DROP INDEX "training_jobs_status_idx";--> statement-breakpoint
CREATE INDEX "events_pipeline_id_idx" ON "events" USING btree ("pipeline_id","id");--> statement-breakpoint
CREATE INDEX "predictions_pipeline_id_idx" ON "predictions" USING btree ("pipeline_id","id");--> statement-breakpoint
CREATE INDEX "rows_pipeline_id_idx" ON "rows" USING btree ("pipeline_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "batches_batch_id_key" ON "batches" USING btree ("pipeline_id","batch_id");--> statement-breakpoint
CREATE INDEX "drift_checks_created_idx" ON "drift_checks" USING btree ("pipeline_id","id");--> statement-breakpoint
CREATE INDEX "drift_checks_drifted_idx" ON "drift_checks" USING btree ("pipeline_id","id") WHERE "drift_checks"."drifted";--> statement-breakpoint
CREATE INDEX "drift_checks_manual_idx" ON "drift_checks" USING btree ("pipeline_id","id") WHERE "drift_checks"."trigger" = 'manual';--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_production" ON "model_versions" USING btree ("pipeline_id") WHERE "model_versions"."status" = 'production';--> statement-breakpoint
CREATE INDEX "predictions_model_version_idx" ON "predictions" USING btree ("pipeline_id","model_version","id");--> statement-breakpoint
CREATE INDEX "predictions_feedback_idx" ON "predictions" USING btree ("pipeline_id","feedback_at") WHERE "predictions"."feedback_label" is not null;--> statement-breakpoint
CREATE INDEX "rows_labelled_id_idx" ON "rows" USING btree ("pipeline_id","id") WHERE "rows"."label" is not null;--> statement-breakpoint
CREATE INDEX "training_jobs_status_idx" ON "training_jobs" USING btree ("pipeline_id","status","id");
