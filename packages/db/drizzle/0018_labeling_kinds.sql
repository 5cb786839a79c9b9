-- Rating and classification projects (issue 15): a judgment's gold match for the new kinds (the
-- same level; the same set of labels), so gold accuracy, its flags and the leaderboard count them.
-- The rest of accord_quality_judgment_rows is 0011's, unchanged.
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
         END,
         g.payload,
         (SELECT r->>'model' FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.pa LIMIT 1),
         (SELECT r->>'model' FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.pb LIMIT 1)
  FROM g
$fn$;
--> statement-breakpoint
-- Agreement of ratings and classifications on the same per-item machinery as preferences: each
-- judgment's rating is an observation of scope `rate` (α ordinal on the levels), each classification
-- one of scope `cls` (α nominal on the label set). The rest of accord_quality_item_counts is 0014's.
CREATE OR REPLACE FUNCTION accord_quality_item_counts(p_items uuid[])
RETURNS TABLE (item_id uuid, scope text, unit text, value double precision, n integer)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH jr AS (SELECT * FROM accord_quality_judgment_rows(p_items)),
  rk AS (SELECT * FROM accord_quality_rank_rows(p_items)),
  c3 AS (SELECT jr.item_id, three_way AS v, count(*) AS c FROM jr WHERE three_way IS NOT NULL GROUP BY jr.item_id, three_way),
  ranked AS (SELECT c3.item_id, v, c, max(c) OVER (PARTITION BY c3.item_id) AS mx FROM c3),
  cons AS (SELECT ranked.item_id, max(v) AS v FROM ranked WHERE c = mx GROUP BY ranked.item_id HAVING count(*) = 1),
  rvotes AS (
    SELECT x.item_id, x.response_id AS ra, y.response_id AS rb, x.model AS ma, y.model AS mb, sign(x.rank - y.rank)::integer AS o, count(*) AS c
    FROM rk x JOIN rk y ON x.judgment_id = y.judgment_id AND x.response_id < y.response_id
    GROUP BY 1, 2, 3, 4, 5, 6
  ),
  rtop AS (SELECT rvotes.*, max(c) OVER (PARTITION BY rvotes.item_id, ra, rb) AS mx FROM rvotes),
  rcons AS (SELECT rtop.item_id, ra, rb, min(ma) AS ma, min(mb) AS mb, max(o) AS o FROM rtop WHERE c = mx GROUP BY rtop.item_id, ra, rb HAVING count(*) = 1),
  pair AS (
    SELECT jr.item_id, jr.model_a AS ma, jr.model_b AS mb, sign((jr.payload->'preference'->>'value')::integer) AS o
    FROM jr WHERE jr.three_way IS NOT NULL
    UNION ALL
    SELECT x.item_id, x.model, y.model, sign(y.rank - x.rank) * -1
    FROM rk x JOIN rk y ON x.judgment_id = y.judgment_id AND x.response_id < y.response_id
  ),
  obs AS (
    SELECT jr.item_id, 'pref' AS scope, '' AS unit, graded::double precision AS value FROM jr WHERE graded IS NOT NULL
    UNION ALL SELECT jr.item_id, 'pref@v' || coalesce(rubric_version, 0), '', graded FROM jr WHERE graded IS NOT NULL
    UNION ALL SELECT jr.item_id, 'pref@w' || to_char(date_trunc('week', jr.submitted_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), '', graded FROM jr WHERE graded IS NOT NULL
    UNION ALL
    SELECT jr.item_id, 'dim:' || (s->>'dimension'), coalesce(s->>'responseId', ''), (s->>'value')::double precision
    FROM jr CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(jr.payload->'scores') = 'array' THEN jr.payload->'scores' ELSE '[]'::jsonb END) s
    WHERE jsonb_typeof(s->'value') = 'number' AND s->>'dimension' IS NOT NULL
    UNION ALL SELECT rk.item_id, 'rank', response_id, rank FROM rk
    -- Ratings: the level's value (ordinal scope `rate`); classifications: the label set as one nominal
    -- value (`cls`, a hash of the sorted labels: only equality matters). Per rubric version and week too.
    UNION ALL SELECT lb.item_id, s.scope, '', lb.v
    FROM (
      SELECT jr.item_id, jr.rubric_version, jr.submitted_at,
             CASE WHEN jr.payload->'preference'->>'kind' = 'rating' THEN 'rate' ELSE 'cls' END AS base,
             CASE WHEN jr.payload->'preference'->>'kind' = 'rating' THEN (jr.payload->'preference'->>'value')::double precision
                  ELSE hashtext((SELECT coalesce(string_agg(DISTINCT x, E'\t' ORDER BY x), '') FROM jsonb_array_elements_text(jr.payload->'preference'->'labels') x))::double precision END AS v
      FROM jr
      WHERE (jr.payload->'preference'->>'kind' = 'rating' AND jsonb_typeof(jr.payload->'preference'->'value') = 'number')
         OR (jr.payload->'preference'->>'kind' = 'classification' AND jsonb_typeof(jr.payload->'preference'->'labels') = 'array')
    ) lb
    CROSS JOIN LATERAL (VALUES (lb.base), (lb.base || '@v' || coalesce(lb.rubric_version, 0)),
                               (lb.base || '@w' || to_char(date_trunc('week', lb.submitted_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'))) s(scope)
    UNION ALL
    SELECT pair.item_id, 'mp:' || least(ma, mb) || E'\t' || greatest(ma, mb), '', CASE WHEN ma <= mb THEN o ELSE -o END
    FROM pair WHERE ma IS NOT NULL AND mb IS NOT NULL AND ma <> '' AND mb <> '' AND ma <> mb
    UNION ALL
    SELECT cons.item_id, 'mc:' || least(ms.m0, ms.m1) || E'\t' || greatest(ms.m0, ms.m1), '', CASE WHEN ms.m0 <= ms.m1 THEN cons.v ELSE -cons.v END
    FROM cons JOIN (SELECT i.id, i.responses->0->>'model' AS m0, i.responses->1->>'model' AS m1 FROM items i WHERE i.id = ANY (p_items)) ms ON ms.id = cons.item_id
    WHERE cons.v IS NOT NULL AND ms.m0 IS NOT NULL AND ms.m1 IS NOT NULL AND ms.m0 <> '' AND ms.m1 <> '' AND ms.m0 <> ms.m1
    UNION ALL
    SELECT rcons.item_id, 'mc:' || least(ma, mb) || E'\t' || greatest(ma, mb), '', CASE WHEN ma <= mb THEN o ELSE -o END
    FROM rcons WHERE ma IS NOT NULL AND mb IS NOT NULL AND ma <> '' AND mb <> '' AND ma <> mb
  )
  SELECT obs.item_id, scope, unit, value, count(*)::integer FROM obs GROUP BY obs.item_id, scope, unit, value
$fn$;
