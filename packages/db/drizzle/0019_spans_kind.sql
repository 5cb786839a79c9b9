-- Spans projects (issue 15): a judgment's gold match for entity spans (exactly the same set of
-- start, end and type), so gold accuracy, its flags and the leaderboard count them. The rest of
-- accord_quality_judgment_rows is 0018's, unchanged. Span agreement (F1) is computed from the stored
-- judgments by the quality service, not per item here.
CREATE OR REPLACE FUNCTION accord_quality_judgment_rows(p_items uuid[])
RETURNS TABLE (judgment_id uuid, project_id uuid, item_id uuid, user_id uuid, submitted_at timestamptz, rubric_version integer,
               three_way smallint, graded smallint, first_pick boolean, longer_pick boolean, words integer, seconds double precision,
               gold_match boolean, payload jsonb, model_a text, model_b text)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH j AS (
    SELECT j.id, j.project_id, j.item_id, j.user_id, coalesce(j.submitted_at, j.updated_at) AS at, j.rubric_version, j.payload,
           j.response_order, j.time_spent_ms, i.responses, i.gold,
           j.payload->'preference'->>'kind' AS pkind,
           j.payload->'preference'->>'a' AS pa, j.payload->'preference'->>'b' AS pb,
           CASE WHEN j.payload->'preference'->>'kind' = 'pairwise' THEN (j.payload->'preference'->>'value')::integer END AS pv,
           i.responses->0->>'id' AS r0, i.responses->1->>'id' AS r1
    FROM judgments j JOIN items i ON i.id = j.item_id
    WHERE j.item_id = ANY (p_items) AND j.status = 'submitted'
  ),
  g AS (
    SELECT j.*,
           CASE WHEN pkind = 'pairwise' THEN CASE WHEN pa = r1 AND pb = r0 THEN -pv ELSE pv END END AS gv,
           CASE WHEN pkind = 'pairwise' AND pv <> 0 THEN CASE WHEN pv < 0 THEN pa ELSE pb END END AS picked,
           CASE WHEN pkind = 'pairwise' AND pv <> 0 THEN CASE WHEN pv < 0 THEN pb ELSE pa END END AS other,
           coalesce(j.response_order->>0, r0) AS shown_first,
           CASE WHEN gold->'preference'->>'kind' = 'pairwise' THEN
             CASE WHEN gold->'preference'->>'a' = r1 AND gold->'preference'->>'b' = r0 THEN -1 ELSE 1 END * sign((gold->'preference'->>'value')::integer)
           END AS gold3
    FROM j
  )
  SELECT g.id, g.project_id, g.item_id, g.user_id, g.at, g.rubric_version,
         sign(g.gv)::smallint, g.gv::smallint,
         CASE WHEN g.picked IS NOT NULL THEN g.picked = g.shown_first END,
         CASE WHEN g.picked IS NOT NULL THEN
           (SELECT CASE WHEN lp.l = lo.l THEN NULL ELSE lp.l > lo.l END
              FROM (SELECT length(r->>'content') AS l FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.picked LIMIT 1) lp,
                   (SELECT length(r->>'content') AS l FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.other LIMIT 1) lo)
         END,
         CASE WHEN btrim(coalesce(g.payload->>'justification', '')) = '' THEN 0
              ELSE coalesce(array_length(regexp_split_to_array(btrim(g.payload->>'justification'), '\s+'), 1), 0) END,
         g.time_spent_ms / 1000.0,
         CASE WHEN g.gold3 IS NOT NULL AND g.gv IS NOT NULL THEN g.gold3 = sign(g.gv)
              -- A rating matches gold on the same level; a classification on the same set of labels.
              WHEN g.pkind = 'rating' AND g.gold->'preference'->>'kind' = 'rating'
                THEN (g.payload->'preference'->>'value')::numeric = (g.gold->'preference'->>'value')::numeric
              WHEN g.pkind = 'classification' AND g.gold->'preference'->>'kind' = 'classification'
                THEN (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM jsonb_array_elements_text(g.payload->'preference'->'labels') x)
                   = (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM jsonb_array_elements_text(g.gold->'preference'->'labels') x)
              -- Entity spans match gold on exactly the same set of (start, end, type).
              WHEN g.pkind = 'spans' AND g.gold->'preference'->>'kind' = 'spans'
                THEN (SELECT coalesce(array_agg(DISTINCT (s->>'start') || ':' || (s->>'end') || ':' || (s->>'label') ORDER BY (s->>'start') || ':' || (s->>'end') || ':' || (s->>'label')), '{}')
                        FROM jsonb_array_elements(g.payload->'preference'->'spans') s)
                   = (SELECT coalesce(array_agg(DISTINCT (s->>'start') || ':' || (s->>'end') || ':' || (s->>'label') ORDER BY (s->>'start') || ':' || (s->>'end') || ':' || (s->>'label')), '{}')
                        FROM jsonb_array_elements(g.gold->'preference'->'spans') s)
         END,
         g.payload,
         (SELECT r->>'model' FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.pa LIMIT 1),
         (SELECT r->>'model' FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.pb LIMIT 1)
  FROM g
$fn$;
