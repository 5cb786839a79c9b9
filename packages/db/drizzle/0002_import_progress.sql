ALTER TABLE "import_jobs" ADD COLUMN "bytes_read" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "import_jobs" ADD COLUMN "bytes_total" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "items_queue_idx" ON "items" USING btree ("project_id","is_gold","position");