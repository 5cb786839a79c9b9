-- ---------------------------------------------------------------- queue/next in one call
-- Everything `queue/next` (and the queue progress) does in the database, in one round trip and one
-- transaction: reclaim up to `p_reclaim` expired reservations of others (items another request holds
-- are skipped), end the member's own expired ones, find their live reservation or (with
-- `p_reserve`) reserve one item, and read the queue counters after all that. The kind of work looked
-- for follows the counters: gold is not looked for when the member has seen all of it, ordinary
-- items not when none is open for them. `p_gold_first`: try gold before ordinary items (the project's
-- gold rate drew gold); `p_gold`: the project hands out gold at all (then gold left is given before
-- the queue reports "done").
--
-- Locks, as everywhere: the item row, then assignment rows, then member counter rows (the triggers
-- of migration 0007). Ordinary items are taken with FOR UPDATE SKIP LOCKED; when that finds nothing,
-- the same search waits for the locked ones and re-checks them, so a trainer asking at the same moment
-- as others still gets work. Gold items take no slots and are not locked.
--
-- The transaction commits without waiting for the WAL flush (`synchronous_commit` off for it only): a
-- crash may lose the last fraction of a second of reservations (their submission is then refused and
-- the trainer asks again), never a judgment — a submission commits synchronously, and flushing its
-- commit record flushes every earlier one.
CREATE FUNCTION accord_queue_next(p_project uuid, p_user uuid, p_reclaim integer, p_reserve boolean, p_minutes integer, p_gold_first boolean, p_gold boolean)
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
    PERFORM 1 FROM items WHERE id = r.item_id FOR UPDATE SKIP LOCKED;
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
    PERFORM 1 FROM items WHERE id = r.item_id FOR UPDATE;
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
-- One reservation: the first candidate item the member has never had, in import order; ordinary
-- items locked (`p_wait`: waiting for items other requests hold, else skipping them), gold not.
-- Returns the new assignment's id, or null when nothing fits.
CREATE FUNCTION accord_queue_reserve(p_project uuid, p_user uuid, p_minutes integer, p_gold_item boolean, p_wait boolean)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  v_item uuid;
  v_responses jsonb;
  v_id uuid;
BEGIN
  IF p_gold_item THEN
    SELECT i.id, i.responses INTO v_item, v_responses FROM items i
      WHERE i.project_id = p_project AND i.is_gold
        AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
        AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
      ORDER BY i.position LIMIT 1;
  ELSIF p_wait THEN
    SELECT i.id, i.responses INTO v_item, v_responses FROM items i
      WHERE i.project_id = p_project AND i.open
        AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
        AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
      ORDER BY i.position LIMIT 1
      FOR UPDATE OF i;
  ELSE
    SELECT i.id, i.responses INTO v_item, v_responses FROM items i
      WHERE i.project_id = p_project AND i.open
        AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = p_user)
        AND NOT EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.user_id = p_user)
      ORDER BY i.position LIMIT 1
      FOR UPDATE OF i SKIP LOCKED;
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
  RETURN v_id;
END
$$;
--> statement-breakpoint
-- Every reservation, expiry and release updates its item's `occupied`: leave room in each page so
-- such an update can stay on its page without new index entries (a HOT update) when `open` does not
-- change. Applies to pages written from now on.
ALTER TABLE items SET (fillfactor = 85);
