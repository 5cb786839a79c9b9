-- Gold is handed out only while the member still has ordinary work: at the project's rate among it,
-- and no longer once it is used up (issue 13's review, found by a security probe). Before, a member's
-- unseen gold came before "done" whatever happened to the rest, so once others had filled the ordinary
-- items, every further task was gold and the member's `available` counter, plateaued at the number of
-- their unseen gold, said so: a trainer who watched it knew that the rest of their queue was gold.
-- The counters agree (judging.service's `progress`): unseen gold counts as work left only while
-- ordinary work is left. The function is migration 0037's with that one condition added, planned
-- without sequential scans as migration 0043 set it (CREATE OR REPLACE resets a function's settings).
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
    -- Gold only while ordinary work is left for the member: never a tail of gold.
    v_unseen_gold := v_unseen_gold AND v_open;
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
