-- The statement that stores submissions (issue 13) was planned again at every call. It was a named
-- statement, but its unnest() of the batch's arrays has as many rows as the batch in a custom plan and
-- ten in the generic one, so the plan cache judged the generic plan dearer than a one-row custom plan
-- and kept making custom plans. pg_stat_statements over `bench:load`'s paced phase (32 trainers at half
-- the ceiling, about 1,700 statements of 1.07 submissions on average): 0.24 ms of planning per call for
-- 1.2 ms of execution, a sixth of PostgreSQL's time per judgment.
-- The statement is now a PL/pgSQL function with a generic plan kept by the connection (as in migration
-- 0045). Same statement, same rows returned: the plan joins the batch to the reserved assignments by
-- their primary key whatever its size, and each insert is by key.
CREATE FUNCTION accord_store_submissions(
  p_assignment uuid[], p_project uuid[], p_item uuid[], p_user uuid[], p_rubric_version integer[], p_payload text[],
  p_response_order text[], p_time_spent_ms bigint[], p_at timestamptz[], p_kinds text[], p_findings text[], p_signature text[],
  p_typed_chars integer[], p_pasted_chars integer[], p_band_keys text[]
) RETURNS SETOF judgments LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $fn$
BEGIN
  RETURN QUERY
  WITH v AS (
    SELECT * FROM unnest(p_assignment, p_project, p_item, p_user, p_rubric_version, p_payload, p_response_order, p_time_spent_ms, p_at,
                         p_kinds, p_findings, p_signature, p_typed_chars, p_pasted_chars, p_band_keys)
      AS v(assignment_id, project_id, item_id, user_id, rubric_version, payload, response_order, time_spent_ms, at,
           kinds, findings, signature, typed_chars, pasted_chars, band_keys)
  ),
  cur AS (
    SELECT a.id FROM assignments a
    WHERE a.id IN (SELECT v.assignment_id FROM v) AND a.status = 'reserved' AND a.expires_at > now()
    ORDER BY a.id FOR UPDATE
  ),
  j AS (
    INSERT INTO judgments AS t (project_id, item_id, user_id, assignment_id, status, source, rubric_version, payload, response_order, time_spent_ms, updated_at, submitted_at)
    SELECT v.project_id, v.item_id, v.user_id, cur.id, 'submitted', 'accord', v.rubric_version, v.payload::jsonb, v.response_order::jsonb, v.time_spent_ms, v.at, v.at
    FROM v JOIN cur ON cur.id = v.assignment_id
    ORDER BY v.item_id, v.user_id
    ON CONFLICT (item_id, user_id) DO UPDATE SET
      assignment_id = excluded.assignment_id, status = 'submitted', source = 'accord', rubric_version = excluded.rubric_version,
      payload = excluded.payload, response_order = excluded.response_order, time_spent_ms = excluded.time_spent_ms,
      updated_at = excluded.updated_at, submitted_at = excluded.submitted_at
    WHERE t.status = 'draft'
    RETURNING t.*
  ),
  a AS (UPDATE assignments x SET status = 'submitted', submitted_at = j.submitted_at FROM j WHERE x.id = j.assignment_id),
  c AS (
    INSERT INTO justification_checks AS t (judgment_id, project_id, user_id, kinds, findings, signature, typed_chars, pasted_chars)
    SELECT j.id, j.project_id, j.user_id, v.kinds::text[], v.findings::jsonb, v.signature::int[], v.typed_chars, v.pasted_chars
    FROM j JOIN v ON v.assignment_id = j.assignment_id
    ON CONFLICT (judgment_id) DO NOTHING
    RETURNING t.judgment_id, t.project_id
  ),
  b AS (
    INSERT INTO justification_bands (project_id, band_key, judgment_id)
    SELECT c.project_id, k, c.judgment_id
    FROM c JOIN j ON j.id = c.judgment_id JOIN v ON v.assignment_id = j.assignment_id, unnest(v.band_keys::int[]) k
    ON CONFLICT DO NOTHING
  ),
  -- The judgments' quality refresh is left pending (migration 0038); the triggers fire after this
  -- statement, so the setting is in place for them.
  defer AS (SELECT set_config('accord.defer_quality', 'on', true) AS setting)
  SELECT j.* FROM j CROSS JOIN defer;
END
$fn$;
