-- Pipelines: a named data set with its own table schema (packages/core/src/schema, storage in
-- packages/core/src/storage/pipeline-storage.ts). `default` exists from the start; its schema stays
-- NULL on a database that already holds rows until one is declared or a records batch arrives: the
-- platform then serves the positional schema f0..f(n-1) of platform_settings.n_features.
CREATE TABLE "pipelines" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"schema" jsonb,
	"schema_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pipelines_name_unique" UNIQUE("name")
);
--> statement-breakpoint
INSERT INTO "pipelines" ("name") VALUES ('default') ON CONFLICT ("name") DO NOTHING;
