-- An item's submitted judgments, read by every submit's quality refresh (and consensus): the refresh
-- runs on generic plans, which estimated item_id = ANY($1) at thousands of rows and ANDed it with
-- judgments_project_idx on status alone, i.e. every submitted judgment of the table (hundreds of ms per
-- submit at 1,000,000 judgments; about 5 ms with this index).
CREATE INDEX "judgments_submitted_item_idx" ON "judgments" USING btree ("item_id") WHERE "judgments"."status" = 'submitted';
