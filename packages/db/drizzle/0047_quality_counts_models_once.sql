-- Migration 0046 for the other copy of the join: the general counts function (items with rankings,
-- ratings or classifications, which the pairwise one does not count) joined the items' majority to
-- their models by `id = ANY` too, and runs under the same generic plans (accord_quality_refresh_few).
-- Its models are now the same materialized CTE, read once per refresh; the same rows.
-- And accord_quality_item_counts_pairwise (migration 0027), which held a third copy of the join, has
-- had no caller since accord_quality_item_counts_pairwise_of replaced it (migration 0029).
CREATE OR REPLACE FUNCTION accord_quality_item_counts(p_items uuid[])
RETURNS TABLE (item_id uuid, scope text, unit text, value double precision, n integer)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH jr AS (SELECT * FROM accord_quality_judgment_rows(p_items)),
  rk AS (SELECT * FROM accord_quality_rank_rows(p_items)),
  cj AS (
    SELECT jr.item_id, jr.payload->'preference'->'labels' AS labels FROM jr
    WHERE jr.payload->'preference'->>'kind' = 'classification' AND jsonb_typeof(jr.payload->'preference'->'labels') = 'array'
  ),
  cl AS (SELECT DISTINCT cj.item_id, x AS label FROM cj CROSS JOIN LATERAL jsonb_array_elements_text(cj.labels) x),
  c3 AS (SELECT jr.item_id, three_way AS v, count(*) AS c FROM jr WHERE three_way IS NOT NULL GROUP BY jr.item_id, three_way),
  ranked AS (SELECT c3.item_id, v, c, max(c) OVER (PARTITION BY c3.item_id) AS mx FROM c3),
  cons AS (SELECT ranked.item_id, max(v) AS v FROM ranked WHERE c = mx GROUP BY ranked.item_id HAVING count(*) = 1),
  ms AS MATERIALIZED (SELECT i.id, i.responses->0->>'model' AS m0, i.responses->1->>'model' AS m1 FROM items i WHERE i.id = ANY (p_items)),
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
    -- Per label someone chose on the item: each classification chose it (1) or not (0) — per-label α.
    UNION ALL
    SELECT cj.item_id, 'lbl:' || cl.label, '', CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(cj.labels) y WHERE y = cl.label) THEN 1 ELSE 0 END
    FROM cj JOIN cl ON cl.item_id = cj.item_id
    UNION ALL
    SELECT pair.item_id, 'mp:' || least(ma, mb) || E'\t' || greatest(ma, mb), '', CASE WHEN ma <= mb THEN o ELSE -o END
    FROM pair WHERE ma IS NOT NULL AND mb IS NOT NULL AND ma <> '' AND mb <> '' AND ma <> mb
    UNION ALL
    SELECT cons.item_id, 'mc:' || least(ms.m0, ms.m1) || E'\t' || greatest(ms.m0, ms.m1), '', CASE WHEN ms.m0 <= ms.m1 THEN cons.v ELSE -cons.v END
    FROM cons JOIN ms ON ms.id = cons.item_id
    WHERE cons.v IS NOT NULL AND ms.m0 IS NOT NULL AND ms.m1 IS NOT NULL AND ms.m0 <> '' AND ms.m1 <> '' AND ms.m0 <> ms.m1
    UNION ALL
    SELECT rcons.item_id, 'mc:' || least(ma, mb) || E'\t' || greatest(ma, mb), '', CASE WHEN ma <= mb THEN o ELSE -o END
    FROM rcons WHERE ma IS NOT NULL AND mb IS NOT NULL AND ma <> '' AND mb <> '' AND ma <> mb
  )
  SELECT obs.item_id, scope, unit, value, count(*)::integer FROM obs GROUP BY obs.item_id, scope, unit, value
$fn$;
--> statement-breakpoint
DROP FUNCTION accord_quality_item_counts_pairwise(uuid[]);
