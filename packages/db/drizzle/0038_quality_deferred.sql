-- A submit no longer refreshes its items' quality figures in its own transaction: the refresh cost
-- about 3.4 ms of PostgreSQL time per call (its ~30 statements start and end whatever the batch's
-- size), and the group commit's one statement at a time waited for it, so at half the ceiling every
-- submit queued behind the refreshes of the ones before (`bench:load`, README's Performance section).
-- The submit statement sets `accord.defer_quality` for its transaction; the judgments' statement
-- triggers then append the judgments it submitted to `quality_pending` (a new judgment, or a draft
-- that became submitted), and `accord_quality_drain` refreshes them later, many at a time, through
-- the same fast path a submit took (the stored counts plus the new judgments'). Everything else —
-- imports, COPY, edits, deletes, gold changes, and a submit statement's other rows — refreshes in
-- its own statement as before.
-- The drain is idempotent: a pending judgment that a full refresh of its item has counted since (an
-- edit or delete of another judgment of the item refreshes the whole item) is in the item's copy of
-- its rows, so the refresh takes the full path again, and one that is gone or no longer submitted is
-- not read. Each call is its own transaction, committed without waiting for the WAL flush: a lost
-- commit loses the refresh and the removal of its pending rows together, and any later commit that
-- waits for the flush makes it durable.
CREATE TABLE "quality_pending" (
	"item_id" uuid NOT NULL,
	"judgment_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	CONSTRAINT "quality_pending_item_id_judgment_id_pk" PRIMARY KEY("item_id","judgment_id")
);
--> statement-breakpoint
CREATE INDEX "quality_pending_project_idx" ON "quality_pending" USING btree ("project_id");
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_quality_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF current_setting('accord.defer_quality', true) = 'on' THEN
    INSERT INTO quality_pending (item_id, judgment_id, project_id)
    SELECT n.item_id, n.id, n.project_id FROM new_rows n WHERE n.status = 'submitted' ORDER BY n.item_id, n.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
  END IF;
  PERFORM accord_quality_refresh_items(
    (SELECT array_agg(DISTINCT n.item_id) FROM new_rows n WHERE n.status = 'submitted'),
    (SELECT array_agg(n.id) FROM new_rows n WHERE n.status = 'submitted'));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- A submit statement's updates are drafts that became submitted (not counted before: deferred like
-- inserts); any other changed row refreshes its item now.
CREATE OR REPLACE FUNCTION accord_quality_on_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_defer boolean := current_setting('accord.defer_quality', true) = 'on';
BEGIN
  IF v_defer THEN
    INSERT INTO quality_pending (item_id, judgment_id, project_id)
    SELECT n.item_id, n.id, n.project_id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status = 'submitted' AND o.status = 'draft'
    ORDER BY n.item_id, n.id
    ON CONFLICT DO NOTHING;
  END IF;
  PERFORM accord_quality_refresh_items((
    SELECT array_agg(DISTINCT n.item_id) FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.status = 'submitted' OR o.status = 'submitted')
      AND (n.status IS DISTINCT FROM o.status OR n.payload IS DISTINCT FROM o.payload OR n.rubric_version IS DISTINCT FROM o.rubric_version
           OR n.submitted_at IS DISTINCT FROM o.submitted_at OR n.response_order IS DISTINCT FROM o.response_order OR n.time_spent_ms IS DISTINCT FROM o.time_spent_ms)
      AND NOT (v_defer AND n.status = 'submitted' AND o.status = 'draft')));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- Refreshes up to p_limit pending judgments (of one project, or of any with p_project NULL), their
-- items in id order; returns how many it took. p_wait: wait for rows another drain holds (a read
-- that must see every judgment stored before it), else skip them (the background drains of several
-- nodes share the work).
CREATE FUNCTION accord_quality_drain(p_project uuid, p_limit integer, p_wait boolean) RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  v_items uuid[];
  v_new uuid[];
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  IF p_project IS NULL THEN
    WITH s AS (SELECT q.item_id, q.judgment_id FROM quality_pending q ORDER BY q.item_id, q.judgment_id LIMIT p_limit FOR UPDATE SKIP LOCKED),
    taken AS (DELETE FROM quality_pending p USING s WHERE p.item_id = s.item_id AND p.judgment_id = s.judgment_id RETURNING p.item_id, p.judgment_id)
    SELECT array_agg(DISTINCT taken.item_id ORDER BY taken.item_id), array_agg(taken.judgment_id) INTO v_items, v_new FROM taken;
  ELSIF p_wait THEN
    WITH s AS (SELECT q.item_id, q.judgment_id FROM quality_pending q WHERE q.project_id = p_project ORDER BY q.item_id, q.judgment_id LIMIT p_limit FOR UPDATE),
    taken AS (DELETE FROM quality_pending p USING s WHERE p.item_id = s.item_id AND p.judgment_id = s.judgment_id RETURNING p.item_id, p.judgment_id)
    SELECT array_agg(DISTINCT taken.item_id ORDER BY taken.item_id), array_agg(taken.judgment_id) INTO v_items, v_new FROM taken;
  ELSE
    WITH s AS (SELECT q.item_id, q.judgment_id FROM quality_pending q WHERE q.project_id = p_project ORDER BY q.item_id, q.judgment_id LIMIT p_limit FOR UPDATE SKIP LOCKED),
    taken AS (DELETE FROM quality_pending p USING s WHERE p.item_id = s.item_id AND p.judgment_id = s.judgment_id RETURNING p.item_id, p.judgment_id)
    SELECT array_agg(DISTINCT taken.item_id ORDER BY taken.item_id), array_agg(taken.judgment_id) INTO v_items, v_new FROM taken;
  END IF;
  IF v_new IS NULL THEN RETURN 0; END IF;
  PERFORM accord_quality_refresh_few(v_items, v_new);
  RETURN cardinality(v_new);
END
$fn$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_quality_projects_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM quality_coincidences q WHERE q.project_id = OLD.id;
  DELETE FROM quality_units q WHERE q.project_id = OLD.id;
  DELETE FROM quality_model_pairs q WHERE q.project_id = OLD.id;
  DELETE FROM quality_pairs q WHERE q.project_id = OLD.id;
  DELETE FROM quality_annotators q WHERE q.project_id = OLD.id;
  DELETE FROM quality_confusion q WHERE q.project_id = OLD.id;
  DELETE FROM quality_member_queue q WHERE q.project_id = OLD.id;
  DELETE FROM quality_pending q WHERE q.project_id = OLD.id;
  RETURN NULL;
END
$fn$;
