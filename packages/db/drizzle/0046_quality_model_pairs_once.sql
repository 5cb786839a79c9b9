-- The items' models are read once per refresh, not once per item (issue 13, the trainer loop). The
-- consensus model pair (`mc:`) of each item joins the items' majority to their two models, and the
-- refresh plans its statements generically (migration 0034), where the majority's row count is unknown:
-- the plan took the items by `id = ANY` inside a loop over the majorities, so a drain of 54 items read
-- them 54 times (auto_explain on `bench:load`'s paced phase: 2,900 of the fast path statement's 4,700
-- buffers, 9 of its 22 ms). The models are now a materialized CTE, read once; the same rows.
CREATE OR REPLACE FUNCTION accord_quality_item_counts_pairwise_of(p_rows accord_quality_jrow[], p_items uuid[])
RETURNS TABLE (item_id uuid, scope text, unit text, value double precision, n integer)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH jr AS (SELECT * FROM unnest(p_rows)),
  c3 AS (SELECT jr.item_id, three_way AS v, count(*) AS c FROM jr WHERE three_way IS NOT NULL GROUP BY jr.item_id, three_way),
  ranked AS (SELECT c3.item_id, v, c, max(c) OVER (PARTITION BY c3.item_id) AS mx FROM c3),
  cons AS (SELECT ranked.item_id, max(v) AS v FROM ranked WHERE c = mx GROUP BY ranked.item_id HAVING count(*) = 1),
  ms AS MATERIALIZED (SELECT i.id, i.responses->0->>'model' AS m0, i.responses->1->>'model' AS m1 FROM items i WHERE i.id = ANY (p_items)),
  pair AS (
    SELECT jr.item_id, jr.model_a AS ma, jr.model_b AS mb, sign((jr.payload->'preference'->>'value')::integer) AS o
    FROM jr WHERE jr.three_way IS NOT NULL
  ),
  obs AS (
    SELECT jr.item_id, 'pref' AS scope, '' AS unit, graded::double precision AS value FROM jr WHERE graded IS NOT NULL
    UNION ALL SELECT jr.item_id, 'pref@v' || coalesce(rubric_version, 0), '', graded FROM jr WHERE graded IS NOT NULL
    UNION ALL SELECT jr.item_id, 'pref@w' || to_char(date_trunc('week', jr.submitted_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), '', graded FROM jr WHERE graded IS NOT NULL
    UNION ALL
    SELECT jr.item_id, 'dim:' || (s->>'dimension'), coalesce(s->>'responseId', ''), (s->>'value')::double precision
    FROM jr CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(jr.payload->'scores') = 'array' THEN jr.payload->'scores' ELSE '[]'::jsonb END) s
    WHERE jsonb_typeof(s->'value') = 'number' AND s->>'dimension' IS NOT NULL
    UNION ALL
    SELECT pair.item_id, 'mp:' || least(ma, mb) || E'\t' || greatest(ma, mb), '', CASE WHEN ma <= mb THEN o ELSE -o END
    FROM pair WHERE ma IS NOT NULL AND mb IS NOT NULL AND ma <> '' AND mb <> '' AND ma <> mb
    UNION ALL
    SELECT cons.item_id, 'mc:' || least(ms.m0, ms.m1) || E'\t' || greatest(ms.m0, ms.m1), '', CASE WHEN ms.m0 <= ms.m1 THEN cons.v ELSE -cons.v END
    FROM cons JOIN ms ON ms.id = cons.item_id
    WHERE cons.v IS NOT NULL AND ms.m0 IS NOT NULL AND ms.m1 IS NOT NULL AND ms.m0 <> '' AND ms.m1 <> '' AND ms.m0 <> ms.m1
  )
  SELECT obs.item_id, scope, unit, value, count(*)::integer FROM obs GROUP BY obs.item_id, scope, unit, value
$fn$;
