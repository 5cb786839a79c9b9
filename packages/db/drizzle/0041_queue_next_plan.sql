-- accord_queue_next (every `queue/next` and every `submit?next=1`) keeps its statements' plans for
-- the connection, as migration 0040 found of the near-copy lookup. A connection that planned them
-- while the assignments were few (a new database, or the statistics ANALYZE took then) kept plans that
-- read the assignments whole, and with autovacuum off (or before its next ANALYZE) kept them as the
-- table grew. A test that plans them on an analyzed, near-empty table and then adds 60,000 done
-- assignments counted 2,960 pages for one call: three statements read the table whole (the search for
-- expired reservations, the member's reservations, and the answer's read of the task by its id).
-- Planned without sequential scans, the first two take their partial indexes, but the answer's join
-- then walked the (item, status) index to find one row by id (60,440 pages): an order by item suited
-- the joins after it. The task and the member's draft are now each read by a lateral lookup of at most
-- one row (by the assignment's key; by item and member, unique), planned on its own, where no order is
-- of use and the key's index is the only way left. The function is 0037's otherwise.
CREATE OR REPLACE FUNCTION accord_queue_next(p_project uuid, p_user uuid, p_reclaim integer, p_reserve boolean, p_minutes integer, p_gold_first boolean, p_gold boolean)
RETURNS TABLE (
  a_id uuid, a_item_id uuid, a_status text, a_is_gold boolean, a_response_order jsonb, a_reserved_at timestamptz, a_expires_at timestamptz,
  i_prompt text, i_context jsonb, i_responses jsonb, i_reference text, d_payload jsonb, d_time bigint, latest_version integer,
  q_open_items integer, q_gold_items integer, m_done integer, m_reserved integer, m_seen_open integer, m_seen_gold integer
) LANGUAGE plpgsql SET enable_seqscan = off AS $$
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
    LEFT JOIN LATERAL (SELECT x.* FROM assignments x WHERE x.id = v_live LIMIT 1) a ON true
    LEFT JOIN items i ON i.id = a.item_id
    LEFT JOIN LATERAL (
      SELECT d.payload, d.time_spent_ms FROM judgments d WHERE d.item_id = a.item_id AND d.user_id = p_user AND d.status = 'draft' LIMIT 1
    ) j ON true
    LEFT JOIN queue_projects q ON q.project_id = p_project
    LEFT JOIN queue_members m ON m.project_id = p_project AND m.user_id = p_user;
END
$$;
