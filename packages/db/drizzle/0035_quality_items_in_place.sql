-- A submit rewrites its item's figures row (judgments, agreement, spread, consensus), and every one of
-- the five sort indexes held one of those figures: each update was a new row version with a new entry
-- in six indexes (these five and the primary key), on leaf pages as random as the items, mostly not in
-- memory on a large project (issue 10's < 5 ms per submit). With no figure indexed, the update can be
-- heap-only: the new version goes on the same page (fillfactor 90 leaves it room) and no index is
-- touched. On the generated 1,000,000-judgment project (bench:quality, submits on items not measured
-- before, same machine): a fresh run 4.63 ms against 5.04; --reuse 4.50, and 4.55 and 4.51 on the
-- earlier database with the indexes dropped by hand, against 5.22 and 4.60. The item list sorted by agreement or spread now sorts the project's rows instead of
-- walking an index: its page query took 130–143 ms at 200,000 items (the whole call 253 ms with the
-- total count, against 116 ms; the dashboard's goal is < 1 s). Rows are found per project by
-- quality_items_project_idx (project_id never changes, so it does not stop a heap-only update).
-- Tried before (README, 2 and 3 Dec) and not kept then, when the gain was within the spread between runs.
CREATE INDEX "quality_items_project_idx" ON "quality_items" USING btree ("project_id");--> statement-breakpoint
DROP INDEX "quality_items_judgments_idx";--> statement-breakpoint
DROP INDEX "quality_items_agreement_idx";--> statement-breakpoint
DROP INDEX "quality_items_agreement_desc_idx";--> statement-breakpoint
DROP INDEX "quality_items_spread_idx";--> statement-breakpoint
DROP INDEX "quality_items_spread_desc_idx";--> statement-breakpoint
ALTER TABLE "quality_items" SET (fillfactor = 90);
