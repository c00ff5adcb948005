-- Token buckets of the API's rate limits, shared by every server replica (apps/server/src/rate-limit.ts;
-- SQL in packages/core/src/storage/access-storage.ts). Each replica admits requests from its own
-- copy of a bucket and settles what it spent here about once a second, so a key's budget is one
-- budget however many replicas serve it. UNLOGGED: the state is worth seconds, and losing it in a
-- crash only refills the buckets. Not in the drizzle schema (drizzle cannot declare UNLOGGED).
CREATE UNLOGGED TABLE IF NOT EXISTS "rate_limit_buckets" (
	"key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"capacity" double precision NOT NULL,
	"per_second" double precision NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
