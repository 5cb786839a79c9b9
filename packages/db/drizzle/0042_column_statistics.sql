-- No column statistics for documents no statement filters, joins or sorts on (issue 13, the trainer
-- loop). ANALYZE samples up to 30,000 rows of a table and, for every column, sorts the sample to find
-- its most common values and histogram: for a jsonb payload or an array of records that means
-- reading and comparing 30,000 documents, most of the time ANALYZE takes, for statistics no plan uses
-- (a filter on `payload->'preference'->>'kind'` is estimated without them, and nothing compares whole
-- documents). Autovacuum, or the server's own passes where none runs (`maintainTables` in @accord/db),
-- analyzes the judging tables every few thousand judgments, on the cores the trainers' requests need:
-- `bench:load`'s paced phase showed next+submit p50 going from 10-20 ms to about 100 ms for the 3.5 s
-- a pass took (a timeline of each judgment against pg_stat_activity). Measured on that run's database
-- (18,000 judgments, 204,000 items), ANALYZE of a table before and after: judgments 760 -> 72 ms,
-- quality_item_counts 450 -> 11 ms, justification_checks 260 -> 39 ms, consensus_labels 190 -> 14 ms,
-- items 700 -> 340 ms. A statistics target of 0 leaves a column out of ANALYZE. Kept: every column a
-- statement filters or sorts on, items.gold among them (the item list filters on its being null).
ALTER TABLE "judgments" ALTER COLUMN "payload" SET STATISTICS 0, ALTER COLUMN "response_order" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "assignments" ALTER COLUMN "response_order" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "items" ALTER COLUMN "responses" SET STATISTICS 0, ALTER COLUMN "context" SET STATISTICS 0, ALTER COLUMN "metadata" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "justification_checks" ALTER COLUMN "findings" SET STATISTICS 0, ALTER COLUMN "signature" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "consensus_labels" ALTER COLUMN "label" SET STATISTICS 0, ALTER COLUMN "judgment_ids" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "quality_item_counts" ALTER COLUMN "counts" SET STATISTICS 0, ALTER COLUMN "judges" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "calibration_judgments" ALTER COLUMN "payload" SET STATISTICS 0, ALTER COLUMN "response_order" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "qualification_answers" ALTER COLUMN "payload" SET STATISTICS 0, ALTER COLUMN "response_order" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "doc_updates" ALTER COLUMN "data" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "doc_snapshots" ALTER COLUMN "data" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "audit_log" ALTER COLUMN "details" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "control_events" ALTER COLUMN "payload" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "writing_versions" ALTER COLUMN "diff" SET STATISTICS 0;
--> statement-breakpoint
ALTER TABLE "redteam_calls" ALTER COLUMN "turns" SET STATISTICS 0;
