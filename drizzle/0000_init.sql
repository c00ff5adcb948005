CREATE TABLE "api_keys" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"batch_id" text NOT NULL,
	"row_count" integer NOT NULL,
	"labelled_count" integer NOT NULL,
	"source" text DEFAULT 'graphql' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_checks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"model_version" integer,
	"trigger" text NOT NULL,
	"verdict" text NOT NULL,
	"drifted" boolean NOT NULL,
	"data_drift" boolean DEFAULT false NOT NULL,
	"prediction_drift" boolean DEFAULT false NOT NULL,
	"concept_drift" boolean DEFAULT false NOT NULL,
	"drifted_share" double precision DEFAULT 0 NOT NULL,
	"n_reference" integer DEFAULT 0 NOT NULL,
	"n_current" integer DEFAULT 0 NOT NULL,
	"window_start_id" bigint,
	"window_end_id" bigint,
	"features" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"action" text DEFAULT 'none' NOT NULL,
	"training_job_id" bigint,
	"duration_ms" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_history" (
	"id" serial PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"previous_version" integer,
	"action" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"params" jsonb NOT NULL,
	"metrics" jsonb NOT NULL,
	"champion_metrics" jsonb,
	"feature_importances" double precision[] NOT NULL,
	"n_features" integer NOT NULL,
	"n_classes" integer NOT NULL,
	"train_rows" integer NOT NULL,
	"holdout_rows" integer NOT NULL,
	"row_window_start" bigint,
	"row_window_end" bigint,
	"training_ms" double precision NOT NULL,
	"training_job_id" bigint,
	"reason" text,
	"rejected_reason" text,
	"artifact" "bytea" NOT NULL,
	"reference_sample" "bytea" NOT NULL,
	"reference_rows" integer NOT NULL,
	"reference_predictions" integer[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"promoted_at" timestamp with time zone,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "platform_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"n_features" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"features" double precision[] NOT NULL,
	"label" integer NOT NULL,
	"probabilities" real[] NOT NULL,
	"model_version" integer NOT NULL,
	"feedback_label" integer,
	"feedback_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"batch_pk" bigint NOT NULL,
	"features" double precision[] NOT NULL,
	"label" integer,
	"scored_label" integer,
	"scored_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "training_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"reason" text NOT NULL,
	"drift_check_id" bigint,
	"change_at" timestamp with time zone,
	"queue_job_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"trees_done" integer DEFAULT 0 NOT NULL,
	"trees_total" integer DEFAULT 0 NOT NULL,
	"progress" double precision DEFAULT 0 NOT NULL,
	"result_version" integer,
	"outcome" text,
	"metrics" jsonb,
	"error" text,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" double precision
);
--> statement-breakpoint
ALTER TABLE "rows" ADD CONSTRAINT "rows_batch_pk_batches_id_fk" FOREIGN KEY ("batch_pk") REFERENCES "public"."batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "batches_batch_id_key" ON "batches" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "drift_checks_created_idx" ON "drift_checks" USING btree ("id");--> statement-breakpoint
CREATE INDEX "drift_checks_drifted_idx" ON "drift_checks" USING btree ("id") WHERE "drift_checks"."drifted";--> statement-breakpoint
CREATE INDEX "events_type_id_idx" ON "events" USING btree ("type","id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_production" ON "model_versions" USING btree ("status") WHERE "model_versions"."status" = 'production';--> statement-breakpoint
CREATE INDEX "predictions_model_version_idx" ON "predictions" USING btree ("model_version","id");--> statement-breakpoint
CREATE INDEX "predictions_feedback_idx" ON "predictions" USING btree ("feedback_at") WHERE "predictions"."feedback_label" is not null;--> statement-breakpoint
CREATE INDEX "predictions_created_at_idx" ON "predictions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "rows_batch_pk_idx" ON "rows" USING btree ("batch_pk");--> statement-breakpoint
CREATE INDEX "rows_labelled_id_idx" ON "rows" USING btree ("id") WHERE "rows"."label" is not null;--> statement-breakpoint
CREATE INDEX "training_jobs_status_idx" ON "training_jobs" USING btree ("status","id");