ALTER TABLE "queue_members" ADD COLUMN "frontier" integer;--> statement-breakpoint
ALTER TABLE "queue_members" ADD COLUMN "frontier_seq" bigint;--> statement-breakpoint
ALTER TABLE "queue_projects" ADD COLUMN "reopen_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- A reservation looked for the first open item the member never had by walking the open items from
-- the first one, probing each for the member's assignment: a trainer ahead of the others (items stay
-- open until k judgments) paid for every item they had had that was still open (7.3 ms per call after
-- about 400 judgments, bench:load with one trainer). The member's frontier now remembers where the
-- last search found its first candidate: every open ordinary item before it is one they have had. An
-- item that opens again (a release, an expiry, a larger k, gold removed) may lie before a frontier,
-- so each such change counts in the project's reopen_seq, and a frontier taken before the last one is
-- not used. The item chosen is the one the walk from the first item would choose.
CREATE FUNCTION accord_queue_reopened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.reopen_seq := OLD.reopen_seq + 1;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_reopened BEFORE UPDATE OF open_items ON queue_projects FOR EACH ROW
  WHEN (NEW.open_items > OLD.open_items) EXECUTE FUNCTION accord_queue_reopened();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_queue_reserve(p_project uuid, p_user uuid, p_minutes integer, p_gold_item boolean, p_wait boolean)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  v_item uuid;
  v_responses jsonb;
  v_seq bigint;
  v_from integer;
  v_first integer;
  v_refresh boolean := false;
  v_id uuid;
BEGIN
  IF p_gold_item THEN
    SELECT i.id, i.responses INTO v_item, v_responses FROM items i
      WHERE i.project_id = p_project AND i.is_gold
        AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
        AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
      ORDER BY i.position LIMIT 1;
  ELSE
    -- The project's reopen count first, then the search: an item opening meanwhile makes the stored
    -- frontier stale (it keeps this count), never wrong.
    SELECT q.reopen_seq, CASE WHEN m.frontier_seq = q.reopen_seq THEN m.frontier END INTO v_seq, v_from
      FROM queue_projects q LEFT JOIN queue_members m ON m.project_id = q.project_id AND m.user_id = p_user
      WHERE q.project_id = p_project;
    -- Moving the frontier takes a search of its own (the first candidate, locked by another member's
    -- reservation or not), so it is moved on about one reservation in eight, and whenever there is
    -- none: a frontier behind the first candidate is still right, it only leaves a few more items to
    -- pass (the member's last ones) to the search below.
    IF v_from IS NULL OR random() < 0.125 THEN
      v_refresh := true;
      FOR pass IN 1..2 LOOP
        SELECT i.position INTO v_first FROM items i
          WHERE i.project_id = p_project AND i.open AND i.position >= coalesce(v_from, -2147483648)
            AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
            AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
          ORDER BY i.position LIMIT 1;
        -- Nothing from the frontier on: once more from the first item, in case it was stale after all.
        EXIT WHEN v_first IS NOT NULL OR v_from IS NULL;
        v_from := NULL;
      END LOOP;
      IF v_first IS NULL THEN
        RETURN NULL;
      END IF;
      v_from := v_first;
    END IF;
    IF p_wait THEN
      SELECT i.id, i.responses INTO v_item, v_responses FROM items i
        WHERE i.project_id = p_project AND i.open AND i.position >= v_from
          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
          AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
        ORDER BY i.position LIMIT 1
        FOR UPDATE OF i;
    ELSE
      SELECT i.id, i.responses INTO v_item, v_responses FROM items i
        WHERE i.project_id = p_project AND i.open AND i.position >= v_from
          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
          AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
        ORDER BY i.position LIMIT 1
        FOR UPDATE OF i SKIP LOCKED;
    END IF;
  END IF;
  IF v_item IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO assignments (project_id, item_id, user_id, is_gold, response_order, reserved_at, expires_at)
    VALUES (p_project, v_item, p_user, p_gold_item,
      coalesce((SELECT jsonb_agg(r -> 'id' ORDER BY random()) FROM jsonb_array_elements(v_responses) r), '[]'::jsonb),
      now(), now() + make_interval(mins => p_minutes))
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_id;
  -- The member's row exists now (the assignment's trigger keeps it).
  IF v_id IS NOT NULL AND v_refresh THEN
    UPDATE queue_members m SET frontier = v_first, frontier_seq = v_seq
      WHERE m.project_id = p_project AND m.user_id = p_user AND (m.frontier, m.frontier_seq) IS DISTINCT FROM (v_first, v_seq);
  END IF;
  RETURN v_id;
END
$$;
