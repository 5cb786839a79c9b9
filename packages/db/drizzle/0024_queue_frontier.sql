ALTER TABLE "queue_members" ADD COLUMN "frontier" integer;--> statement-breakpoint
-- A reservation searched the open items in position order from the first, skipping every item the
-- member already had: a trainer far ahead of the others (items stay open until k judgments) paid for
-- their whole history at every next (7 ms after 400 judgments, bench:load with one trainer). The
-- search now starts after the member's frontier, the furthest position reserved for them, and goes
-- back to the start only when nothing after it is left (an item skipped while another transaction
-- held it, or reopened by an expiry or a release, comes at the end of the member's pass).
CREATE OR REPLACE FUNCTION accord_queue_reserve(p_project uuid, p_user uuid, p_minutes integer, p_gold_item boolean, p_wait boolean)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  v_item uuid;
  v_responses jsonb;
  v_position integer;
  v_from integer;
  v_lo integer;
  v_hi integer;
  v_id uuid;
BEGIN
  IF p_gold_item THEN
    SELECT i.id, i.responses INTO v_item, v_responses FROM items i
      WHERE i.project_id = p_project AND i.is_gold
        AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
        AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
      ORDER BY i.position LIMIT 1;
  ELSE
    SELECT m.frontier INTO v_from FROM queue_members m WHERE m.project_id = p_project AND m.user_id = p_user;
    -- After the frontier first, then (nothing left there) from the start up to it.
    FOR pass IN 1..2 LOOP
      EXIT WHEN pass = 2 AND v_from IS NULL;
      -- Positions in (v_lo, v_hi]: a range on the open items' index.
      v_lo := CASE WHEN pass = 1 THEN coalesce(v_from, -2147483648) ELSE -2147483648 END;
      v_hi := CASE WHEN pass = 1 THEN 2147483647 ELSE v_from END;
      IF p_wait THEN
        SELECT i.id, i.responses, i.position INTO v_item, v_responses, v_position FROM items i
          WHERE i.project_id = p_project AND i.open
            AND i.position > v_lo AND i.position <= v_hi
            AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
            AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
          ORDER BY i.position LIMIT 1
          FOR UPDATE OF i;
      ELSE
        SELECT i.id, i.responses, i.position INTO v_item, v_responses, v_position FROM items i
          WHERE i.project_id = p_project AND i.open
            AND i.position > v_lo AND i.position <= v_hi
            AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
            AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
          ORDER BY i.position LIMIT 1
          FOR UPDATE OF i SKIP LOCKED;
      END IF;
      EXIT WHEN v_item IS NOT NULL;
    END LOOP;
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
  -- The member's row exists now (the assignment's trigger keeps it); the frontier only moves forward.
  IF v_id IS NOT NULL AND NOT p_gold_item THEN
    UPDATE queue_members m SET frontier = v_position
      WHERE m.project_id = p_project AND m.user_id = p_user AND (m.frontier IS NULL OR m.frontier < v_position);
  END IF;
  RETURN v_id;
END
$$;
