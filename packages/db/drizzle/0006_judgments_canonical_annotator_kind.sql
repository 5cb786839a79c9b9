ALTER TABLE "project_members" ADD COLUMN "kind" text DEFAULT 'human' NOT NULL;--> statement-breakpoint
-- Data back-fill (issue 9): a comparison dimension's value was stored as the position the trainer
-- saw. It is now stored in the item's own response order (levels run from responses[0] to
-- responses[1]). Judgments of two-response items whose recorded screen order is the reverse of the
-- item's order get the value of each comparison-dimension score mirrored: level i <-> level n-1-i of
-- the dimension's levels in the rubric version the judgment was made under (drafts: the project's
-- latest published version). Per-response scores (with a responseId) and values off the scale are
-- left alone.
WITH targets AS (
  SELECT j.id, j.payload, rv.content
  FROM judgments j
  JOIN items i ON i.id = j.item_id
  JOIN rubric_versions rv ON rv.project_id = j.project_id
    AND rv.version = CASE WHEN j.status = 'draft'
      THEN (SELECT max(v.version) FROM rubric_versions v WHERE v.project_id = j.project_id)
      ELSE j.rubric_version END
  WHERE jsonb_typeof(i.responses) = 'array' AND jsonb_array_length(i.responses) = 2
    AND (i.responses -> 0 -> 'id') IS DISTINCT FROM (i.responses -> 1 -> 'id')
    AND jsonb_typeof(j.response_order) = 'array'
    AND j.response_order = jsonb_build_array(i.responses -> 1 -> 'id', i.responses -> 0 -> 'id')
    AND jsonb_typeof(j.payload -> 'scores') = 'array' AND jsonb_array_length(j.payload -> 'scores') > 0
    AND jsonb_typeof(rv.content -> 'dimensions') = 'array'
),
turned AS (
  SELECT t.id, jsonb_agg(
    COALESCE(
      (SELECT jsonb_set(sc.s, '{value}', d.levels -> (jsonb_array_length(d.levels) - lv.ord::int)::int -> 'value')
       FROM (SELECT dim -> 'levels' AS levels FROM jsonb_array_elements(t.content -> 'dimensions') dim
             WHERE dim ->> 'id' = sc.s ->> 'dimension' AND dim ->> 'target' = 'comparison'
               AND jsonb_typeof(dim -> 'levels') = 'array' LIMIT 1) d
       CROSS JOIN LATERAL (SELECT o.ord FROM jsonb_array_elements(d.levels) WITH ORDINALITY o(l, ord)
                           WHERE o.l -> 'value' = sc.s -> 'value' ORDER BY o.ord LIMIT 1) lv
       WHERE jsonb_typeof(sc.s) = 'object' AND sc.s ->> 'responseId' IS NULL),
      sc.s)
    ORDER BY sc.ord) AS scores
  FROM targets t CROSS JOIN LATERAL jsonb_array_elements(t.payload -> 'scores') WITH ORDINALITY sc(s, ord)
  GROUP BY t.id
)
UPDATE judgments j SET payload = jsonb_set(j.payload, '{scores}', turned.scores)
FROM turned WHERE turned.id = j.id AND turned.scores IS NOT NULL;
