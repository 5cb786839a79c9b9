-- The item list sorted by agreement or spread read and sorted every item of the project (about 1 s
-- at 200,000 items, most of it carrying the wide item rows through the sort). quality_items keeps
-- the item's position, so an index gives the page in order: figure, then the file's order.
DROP INDEX "quality_items_agreement_idx";--> statement-breakpoint
DROP INDEX "quality_items_spread_idx";--> statement-breakpoint
ALTER TABLE "quality_items" ADD COLUMN "position" integer;--> statement-breakpoint
ALTER TABLE "quality_items" DISABLE TRIGGER accord_quality_items_update;--> statement-breakpoint
UPDATE "quality_items" q SET "position" = i."position" FROM "items" i WHERE i."id" = q."item_id";--> statement-breakpoint
ALTER TABLE "quality_items" ENABLE TRIGGER accord_quality_items_update;--> statement-breakpoint
CREATE FUNCTION accord_quality_items_position() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.position IS NULL THEN
    SELECT i.position INTO NEW.position FROM items i WHERE i.id = NEW.item_id;
  END IF;
  RETURN NEW;
END
$fn$;--> statement-breakpoint
CREATE TRIGGER accord_quality_items_position BEFORE INSERT ON quality_items FOR EACH ROW EXECUTE FUNCTION accord_quality_items_position();--> statement-breakpoint
CREATE INDEX "quality_items_agreement_desc_idx" ON "quality_items" USING btree ("project_id","agreement" DESC NULLS LAST,"position");--> statement-breakpoint
CREATE INDEX "quality_items_spread_desc_idx" ON "quality_items" USING btree ("project_id","spread" DESC NULLS LAST,"position");--> statement-breakpoint
CREATE INDEX "quality_items_agreement_idx" ON "quality_items" USING btree ("project_id","agreement","position");--> statement-breakpoint
CREATE INDEX "quality_items_spread_idx" ON "quality_items" USING btree ("project_id","spread","position");
