-- An item's judgments are read with the item's gold (does each judgment match it) and its responses
-- (their ids, models and lengths: canonical order, the leaderboard's model pairs, length bias). When
-- either changes while the item has judgments — gold set, changed or removed by a re-import that adds
-- gold answers, or an adjudicated label promoted to gold; responses only by a direct write, since a
-- re-import refuses to change a judged item's responses — no judgment changes, so the judgments'
-- triggers do not run. This row trigger refreshes the item in the same statement, so trainers' gold
-- accuracy (and the flags it raises) and the leaderboard count it at once; before, they counted it
-- only from the item's next judgment, and never if none came. Only an item with stored quality rows is
-- refreshed; the queue's own updates of items (occupied, open) name neither column, so this trigger is
-- not even considered for them.
CREATE FUNCTION accord_quality_on_item_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM quality_items q WHERE q.item_id = NEW.id) THEN
    PERFORM accord_quality_refresh_items(ARRAY[NEW.id]);
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER accord_quality_item_change AFTER UPDATE OF gold, responses ON items FOR EACH ROW
WHEN (OLD.gold IS DISTINCT FROM NEW.gold OR OLD.responses IS DISTINCT FROM NEW.responses)
EXECUTE FUNCTION accord_quality_on_item_change();
--> statement-breakpoint
-- Items whose gold may have changed after their last refresh: every judged item with gold, and every
-- item whose stored rows still count a gold match; refreshed 1,000 at a time, so a large project's
-- rows are not all held in the refresh's variables at once.
DO $do$
DECLARE
  v_chunk uuid[];
BEGIN
  FOR v_chunk IN
    SELECT array_agg(x.item_id ORDER BY x.item_id) FROM (
      SELECT c.item_id, (row_number() OVER (ORDER BY c.item_id) - 1) / 1000 AS g
      FROM quality_item_counts c JOIN items i ON i.id = c.item_id
      WHERE i.gold IS NOT NULL OR EXISTS (SELECT 1 FROM unnest(c.judges) j WHERE j.gold_match IS NOT NULL)
    ) x GROUP BY x.g ORDER BY x.g
  LOOP
    PERFORM accord_quality_refresh_items(v_chunk);
  END LOOP;
END
$do$;
