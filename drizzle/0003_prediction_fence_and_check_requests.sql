CREATE SEQUENCE "public"."drift_check_requests" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
ALTER TABLE "drift_checks" ADD COLUMN "request_ticket" bigint;--> statement-breakpoint
ALTER TABLE "platform_settings" ADD COLUMN "prediction_id_fence" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "drift_checks_request_ticket_idx" ON "drift_checks" USING btree ("request_ticket");--> statement-breakpoint
CREATE INDEX "drift_checks_manual_idx" ON "drift_checks" USING btree ("id") WHERE "drift_checks"."trigger" = 'manual';