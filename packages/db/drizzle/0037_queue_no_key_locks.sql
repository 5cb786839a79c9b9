-- Items are locked FOR NO KEY UPDATE in the queue functions, not FOR UPDATE: enough to keep two
-- reservations (and the counter triggers) of one item apart, since FOR NO KEY UPDATE conflicts with
-- itself, and not in conflict with a foreign-key check's FOR KEY SHARE. With FOR UPDATE, a submit's
-- statement (its judgments' and assignments' foreign-key checks lock their items FOR KEY SHARE, in
-- item order) and `queue/next` deadlocked: the candidate search of accord_queue_reserve locks an item,
-- may reject it on the re-check and go on to the next one, in position order, holding the first. Each
-- deadlock held every submit of the node for deadlock_timeout (1 s): bench:load counted 2 in a run.
-- Nothing else changes: these are the definitions of migrations 0007 (accord_queue_apply), 0008
-- (accord_queue_next) and 0024 (accord_queue_reserve) with the lock strength replaced. A delete of
-- an item still waits for them (it conflicts with every row lock).
CREATE OR REPLACE FUNCTION accord_queue_apply(p_project uuid, p_item uuid, p_delta integer, p_user uuid, p_seen integer, p_reserved integer, p_done integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_gold boolean;
  v_was boolean;
  v_now boolean;
  v_occ integer;
  v_change integer := 0;
BEGIN
  IF p_delta = 0 AND p_seen = 0 THEN
    -- A submission: the member's own counters only (no item lock).
    UPDATE queue_members SET reserved = reserved + p_reserved, done = done + p_done WHERE project_id = p_project AND user_id = p_user;
    RETURN;
  END IF;
  IF p_seen = 1 THEN
    INSERT INTO queue_members (project_id, user_id) VALUES (p_project, p_user) ON CONFLICT DO NOTHING;
  END IF;
  -- Gold items take no slots: no item lock, so trainers taking the same gold item do not queue.
  SELECT is_gold INTO v_gold FROM items WHERE id = p_item;
  IF v_gold THEN
    UPDATE queue_members SET reserved = reserved + p_reserved, done = done + p_done, seen_gold = seen_gold + p_seen
      WHERE project_id = p_project AND user_id = p_user;
    RETURN;
  END IF;
  SELECT is_gold, open, occupied INTO v_gold, v_was, v_occ FROM items WHERE id = p_item FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    -- The item is being deleted with its project: the member's own counters only.
    UPDATE queue_members SET reserved = reserved + p_reserved, done = done + p_done WHERE project_id = p_project AND user_id = p_user;
    RETURN;
  END IF;
  v_now := NOT v_gold AND v_occ + p_delta < accord_queue_k(p_project);
  UPDATE items SET occupied = v_occ + p_delta, open = v_now WHERE id = p_item;
  IF v_now <> v_was THEN
    v_change := CASE WHEN v_now THEN 1 ELSE -1 END;
    UPDATE queue_projects SET open_items = open_items + v_change WHERE project_id = p_project;
    PERFORM 1 FROM queue_members m
      WHERE m.project_id = p_project
        AND (m.user_id = p_user OR m.user_id IN (SELECT a.user_id FROM assignments a WHERE a.item_id = p_item UNION SELECT j.user_id FROM judgments j WHERE j.item_id = p_item AND j.source = 'import'))
      ORDER BY m.user_id FOR UPDATE;
    -- Everyone who has seen the item (the member of this change is handled below when they start or stop seeing it).
    UPDATE queue_members m SET seen_open = seen_open + v_change
      WHERE m.project_id = p_project
        AND (p_seen = 0 OR m.user_id <> p_user)
        AND m.user_id IN (SELECT a.user_id FROM assignments a WHERE a.item_id = p_item UNION SELECT j.user_id FROM judgments j WHERE j.item_id = p_item AND j.source = 'import');
  END IF;
  UPDATE queue_members SET
      reserved = reserved + p_reserved,
      done = done + p_done,
      seen_open = seen_open + CASE WHEN v_gold THEN 0 WHEN p_seen = 1 THEN v_now::int WHEN p_seen = -1 THEN -(v_was::int) ELSE 0 END,
      seen_gold = seen_gold + CASE WHEN v_gold THEN p_seen ELSE 0 END
    WHERE project_id = p_project AND user_id = p_user;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_queue_next(p_project uuid, p_user uuid, p_reclaim integer, p_reserve boolean, p_minutes integer, p_gold_first boolean, p_gold boolean)
RETURNS TABLE (
  a_id uuid, a_item_id uuid, a_status text, a_is_gold boolean, a_response_order jsonb, a_reserved_at timestamptz, a_expires_at timestamptz,
  i_prompt text, i_context jsonb, i_responses jsonb, i_reference text, d_payload jsonb, d_time bigint, latest_version integer,
  q_open_items integer, q_gold_items integer, m_done integer, m_reserved integer, m_seen_open integer, m_seen_gold integer
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  v_live uuid;
  v_open boolean;
  v_unseen_gold boolean;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  -- Others' expired reservations, oldest first: an index probe that finds nothing in the common case.
  FOR r IN
    SELECT a.id, a.item_id, a.user_id FROM assignments a
    WHERE a.project_id = p_project AND a.status = 'reserved' AND a.expires_at <= now() AND a.user_id <> p_user
    ORDER BY a.expires_at LIMIT p_reclaim
  LOOP
    PERFORM 1 FROM items WHERE id = r.item_id FOR NO KEY UPDATE SKIP LOCKED;
    IF FOUND THEN
      UPDATE assignments SET status = 'expired' WHERE id = r.id AND status = 'reserved' AND expires_at <= now();
      IF FOUND THEN
        DELETE FROM judgments WHERE item_id = r.item_id AND user_id = r.user_id AND status = 'draft';
      END IF;
    END IF;
  END LOOP;
  -- The member's reservations, oldest first: the first live one is their task; expired ones end
  -- here (never revived, gold or not).
  FOR r IN
    SELECT a.id, a.item_id, a.expires_at FROM assignments a
    WHERE a.project_id = p_project AND a.user_id = p_user AND a.status = 'reserved'
    ORDER BY a.reserved_at
  LOOP
    IF r.expires_at > now() THEN
      v_live := r.id;
      EXIT;
    END IF;
    PERFORM 1 FROM items WHERE id = r.item_id FOR NO KEY UPDATE;
    UPDATE assignments SET status = 'expired' WHERE id = r.id AND status = 'reserved' AND expires_at <= now();
    IF FOUND THEN
      DELETE FROM judgments WHERE item_id = r.item_id AND user_id = p_user AND status = 'draft';
    END IF;
  END LOOP;

  IF v_live IS NULL AND p_reserve THEN
    SELECT coalesce(q.open_items, 0) - coalesce(m.seen_open, 0) > 0, p_gold AND coalesce(q.gold_items, 0) - coalesce(m.seen_gold, 0) > 0
      INTO v_open, v_unseen_gold
      FROM (SELECT 1) one
      LEFT JOIN queue_projects q ON q.project_id = p_project
      LEFT JOIN queue_members m ON m.project_id = p_project AND m.user_id = p_user;
    IF p_gold_first AND v_unseen_gold THEN
      v_live := accord_queue_reserve(p_project, p_user, p_minutes, true, false);
    END IF;
    IF v_live IS NULL AND v_open THEN
      v_live := accord_queue_reserve(p_project, p_user, p_minutes, false, false);
      IF v_live IS NULL THEN
        v_live := accord_queue_reserve(p_project, p_user, p_minutes, false, true);
      END IF;
    END IF;
    IF v_live IS NULL AND NOT p_gold_first AND v_unseen_gold THEN
      v_live := accord_queue_reserve(p_project, p_user, p_minutes, true, false);
    END IF;
  END IF;

  RETURN QUERY
    SELECT a.id, a.item_id, a.status, a.is_gold, a.response_order, a.reserved_at, a.expires_at,
      i.prompt, i.context, i.responses, i.reference, j.payload, j.time_spent_ms,
      (SELECT max(rv.version) FROM rubric_versions rv WHERE rv.project_id = p_project),
      q.open_items, q.gold_items, m.done, m.reserved, m.seen_open, m.seen_gold
    FROM (SELECT 1) one
    LEFT JOIN assignments a ON a.id = v_live
    LEFT JOIN items i ON i.id = a.item_id
    LEFT JOIN judgments j ON j.item_id = a.item_id AND j.user_id = p_user AND j.status = 'draft'
    LEFT JOIN queue_projects q ON q.project_id = p_project
    LEFT JOIN queue_members m ON m.project_id = p_project AND m.user_id = p_user;
END
$$;
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
        FOR NO KEY UPDATE OF i;
    ELSE
      SELECT i.id, i.responses INTO v_item, v_responses FROM items i
        WHERE i.project_id = p_project AND i.open AND i.position >= v_from
          AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
          AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
        ORDER BY i.position LIMIT 1
        FOR NO KEY UPDATE OF i SKIP LOCKED;
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
