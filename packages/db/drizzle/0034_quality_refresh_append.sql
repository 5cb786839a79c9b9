-- A submit's refresh reads and parses only the new judgment, and runs about half as many statements
-- (issue 10's < 5 ms). On the generated 1,000,000-judgment project, with inserts after a pause as the
-- benchmark makes them (pg_stat_statements, track = all, track_io_timing), the refresh spent about
-- 4.8 ms, of which its statements' own time was about 3 ms: the rest is starting and ending each
-- statement, about 40 µs each after a pause (16 µs back to back), for about 30 statements. And it
-- read about 14 pages from outside shared buffers, about 80 µs each; the item's other judgments were
-- 1.6 of them (one heap page per judgment), their payloads parsed again for counts the item keeps.
-- 1. The statement trigger on inserted judgments passes their ids down (accord_quality_refresh_items
--    → _few → _core, each with a new optional argument), and the refresh's fast path builds the items'
--    counts from the stored ones and the new judgments' (see below). An update, a delete, an import
--    batch or a ranking takes the full path.
-- 2. Fewer statements: the lock is taken before the check for a missing item row (one statement
--    when none is missing); the changed groups are found with the counts; the unit sizes, the
--    preference distribution and the label picks are one upsert; the annotator pairs, tallies and
--    confusion one statement; the notification one; and the fast path skips what cannot apply to it
--    (label sets, the removal of counts, the stored rows gone or changed, rankings), inserting the new
--    judgments' rows and queueing their annotators in one statement.
-- Inserts after a pause (commit, 350 ms apart, 80 per block, alternated ABBAAB): the refresh 4.01–4.24
-- ms before, 3.55–3.77 ms after; back to back (rolled back, 150 per block) 4.11–4.24 against 3.76–4.10.
-- accord_quality_judgment_rows_of is accord_quality_judgment_rows (0019's) for given judgments, and
-- the one definition of a judgment's row: accord_quality_judgment_rows now finds the items' submitted
-- judgments and calls it, so a change of what a row holds (a new kind's gold match, say) is made once.
-- The refresh is 0030's with the changes above.
CREATE FUNCTION accord_quality_judgment_rows_of(p_ids uuid[])
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
    WHERE j.id = ANY (p_ids) AND j.status = 'submitted'
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
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_quality_judgment_rows(p_items uuid[])
RETURNS TABLE (judgment_id uuid, project_id uuid, item_id uuid, user_id uuid, submitted_at timestamptz, rubric_version integer,
               three_way smallint, graded smallint, first_pick boolean, longer_pick boolean, words integer, seconds double precision,
               gold_match boolean, payload jsonb, model_a text, model_b text)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  SELECT * FROM accord_quality_judgment_rows_of(ARRAY(SELECT j.id FROM judgments j WHERE j.item_id = ANY (p_items) AND j.status = 'submitted'))
$fn$;
--> statement-breakpoint
DROP FUNCTION accord_quality_refresh_items(uuid[]);
--> statement-breakpoint
DROP FUNCTION accord_quality_refresh_few(uuid[]);
--> statement-breakpoint
DROP FUNCTION accord_quality_refresh_batch(uuid[]);
--> statement-breakpoint
DROP FUNCTION accord_quality_refresh_core(uuid[]);
--> statement-breakpoint
CREATE FUNCTION accord_quality_refresh_core(p_items uuid[], p_new uuid[] DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_delta accord_quality_delta_row[];
  v_changed accord_quality_delta_row[];
  v_jr accord_quality_judge[];
  v_rows accord_quality_jrow[];
  v_new accord_quality_jrow[];
  v_fast boolean := false;
  v_old accord_quality_judge[];
  v_gone uuid[];
  v_edited uuid[];
  v_ranked boolean;
  v_pairwise boolean;
  v_locked integer;
BEGIN
  IF p_items IS NULL OR cardinality(p_items) = 0 THEN RETURN; END IF;
  -- Locked in id order by a row lock, not by a dummy update (a new row version under seven indexes).
  -- An item without its row yet (its first judgment) gets it, and the rows are locked again: the
  -- insert runs only then, as it would run its statement trigger on quality_items even when it
  -- inserts nothing.
  PERFORM 1 FROM quality_items q WHERE q.item_id = ANY (p_items) ORDER BY q.item_id FOR UPDATE;
  GET DIAGNOSTICS v_locked = ROW_COUNT;
  IF v_locked < cardinality(p_items) THEN
    INSERT INTO quality_items AS q (item_id, project_id, block)
    SELECT i.id, i.project_id, (hashtext(i.id::text) & 63)::smallint FROM items i WHERE i.id = ANY (p_items) ORDER BY i.id
    ON CONFLICT (item_id) DO NOTHING;
    PERFORM 1 FROM quality_items q WHERE q.item_id = ANY (p_items) ORDER BY q.item_id FOR UPDATE;
  END IF;

  -- The items' rows as stored (their copy beside the counts, one row per item): the pairs, tallies and
  -- confusion below subtract them, the writes compare with them, and a submit's fast path below builds
  -- on them. An item without a counts row has no stored rows.
  SELECT coalesce(array_agg(j), '{}') INTO v_old FROM quality_item_counts c CROSS JOIN LATERAL unnest(c.judges) j WHERE c.item_id = ANY (p_items);

  -- A submit's fast path (p_new: the judgments a statement inserted, migration 0034): the items' counts
  -- now are their stored counts plus the new judgments' own, every scope but the consensus model pair
  -- (`mc:`) being a sum over the item's judgments, one judgment at a time. So only the new judgments
  -- are read and parsed, not the item's others (their heap pages, one per judgment, mostly not in
  -- memory on a large project). The consensus model pair is counted again from every judgment's 3-way
  -- value, in the copy. It applies when every new judgment is pairwise, none is in the copy already,
  -- and the items' stored counts hold only the scopes of pairwise judgments and rubric scores (no
  -- ranking, rating or classification, whose consensus pairs are counted otherwise).
  IF p_new IS NOT NULL AND cardinality(p_new) > 0 THEN
    SELECT x.a, cardinality(x.a) > 0
       AND NOT EXISTS (SELECT 1 FROM unnest(x.a) r WHERE r.payload->'preference'->>'kind' IS DISTINCT FROM 'pairwise' OR r.item_id <> ALL (p_items))
       AND NOT EXISTS (SELECT 1 FROM unnest(x.a) r JOIN unnest(v_old) o ON o.judgment_id = r.judgment_id)
       AND NOT EXISTS (SELECT 1 FROM quality_item_counts s CROSS JOIN LATERAL unnest(s.counts) c
                       WHERE s.item_id = ANY (p_items) AND NOT (c.scope LIKE 'pref%' OR c.scope LIKE 'dim:%' OR c.scope LIKE 'mp:%' OR c.scope LIKE 'mc:%'))
    INTO v_new, v_fast
    FROM (SELECT coalesce(array_agg(ROW(r.judgment_id, r.project_id, r.item_id, r.user_id, r.submitted_at, r.rubric_version, r.three_way, r.graded,
                                        r.first_pick, r.longer_pick, r.words, r.seconds, r.gold_match, r.payload, r.model_a, r.model_b)::accord_quality_jrow), '{}') AS a
          FROM accord_quality_judgment_rows_of(p_new) r) x;
  END IF;
  IF v_fast THEN
    -- Every judgment of the items as the 3-way consensus and the rows per judgment below read them:
    -- the new ones, and the stored ones from their copy (no payload or models: they count no scope
    -- but the consensus model pair here).
    WITH allrows AS MATERIALIZED (
      SELECT v_new || ARRAY(SELECT ROW(o.judgment_id, o.project_id, o.item_id, o.user_id, o.submitted_at, NULL, o.three_way, o.graded,
                                       o.first_pick, o.longer_pick, o.words, o.seconds, o.gold_match, NULL, NULL, NULL)::accord_quality_jrow
                            FROM unnest(v_old) o) AS a
    ),
    qi AS MATERIALIZED (SELECT q.item_id, q.project_id, q.block FROM quality_items q WHERE q.item_id = ANY (p_items)),
    stored AS MATERIALIZED (SELECT s.item_id, c.scope, c.unit, c.value, c.n FROM quality_item_counts s CROSS JOIN LATERAL unnest(s.counts) c WHERE s.item_id = ANY (p_items)),
    cur AS (
      SELECT x.item_id, x.scope, x.unit, x.value, sum(x.n)::integer AS n FROM (
        SELECT * FROM stored WHERE stored.scope NOT LIKE 'mc:%'
        UNION ALL
        SELECT c.item_id, c.scope, c.unit, c.value, c.n FROM accord_quality_item_counts_pairwise_of(v_new, p_items) c WHERE c.scope NOT LIKE 'mc:%'
      ) x GROUP BY 1, 2, 3, 4
      UNION ALL
      SELECT c.item_id, c.scope, c.unit, c.value, c.n FROM allrows, accord_quality_item_counts_pairwise_of(allrows.a, p_items) c WHERE c.scope LIKE 'mc:%'
    ),
    d AS (
      SELECT 1 AS sg, qi.project_id, qi.block, cur.item_id, cur.scope, cur.unit, cur.value, cur.n FROM cur JOIN qi ON qi.item_id = cur.item_id
      UNION ALL
      SELECT -1, qi.project_id, qi.block, stored.item_id, stored.scope, stored.unit, stored.value, stored.n FROM stored JOIN qi ON qi.item_id = stored.item_id
    ),
    g AS (SELECT DISTINCT x.item_id, x.scope, x.unit FROM (SELECT d.item_id, d.scope, d.unit FROM d GROUP BY d.item_id, d.scope, d.unit, d.value HAVING sum(d.sg * d.n) <> 0) x)
    SELECT (SELECT allrows.a FROM allrows), coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row), '{}'),
           coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row) FILTER (WHERE g.item_id IS NOT NULL), '{}')
    INTO v_rows, v_delta, v_changed FROM d LEFT JOIN g ON g.item_id = d.item_id AND g.scope = d.scope AND g.unit = d.unit;
  ELSE
    -- The items' value counts now (sg 1) and as stored (sg −1), in a variable: temporary tables cost
    -- a truncation at every commit and a file extension at the next insert (tens of ms on a busy disk).
    -- Items judged only pairwise (the common case) take their counts from a function without the parts
    -- that only rankings, ratings and classifications feed: the statement's plan is a third of the size,
    -- and starting a plan costs about as much as running it on one item.
    -- The items' submitted judgments as the figures read them, once: the counts and the judgments' rows
    -- below both start from them (each read the judgments and their items, and parsed the payloads).
    SELECT coalesce(array_agg(ROW(r.judgment_id, r.project_id, r.item_id, r.user_id, r.submitted_at, r.rubric_version, r.three_way, r.graded,
                                  r.first_pick, r.longer_pick, r.words, r.seconds, r.gold_match, r.payload, r.model_a, r.model_b)::accord_quality_jrow), '{}')
    INTO v_rows FROM accord_quality_judgment_rows(p_items) r;
    v_pairwise := NOT EXISTS (SELECT 1 FROM unnest(v_rows) r WHERE r.payload->'preference'->>'kind' IS DISTINCT FROM 'pairwise');
    IF v_pairwise THEN
      WITH qi AS MATERIALIZED (SELECT q.item_id, q.project_id, q.block FROM quality_items q WHERE q.item_id = ANY (p_items)),
      d AS (
        SELECT 1 AS sg, qi.project_id, qi.block, c.item_id, c.scope, c.unit, c.value, c.n FROM accord_quality_item_counts_pairwise_of(v_rows, p_items) c JOIN qi ON qi.item_id = c.item_id
        UNION ALL
        SELECT -1, qi.project_id, qi.block, s.item_id, c.scope, c.unit, c.value, c.n FROM quality_item_counts s JOIN qi ON qi.item_id = s.item_id CROSS JOIN LATERAL unnest(s.counts) c WHERE s.item_id = ANY (p_items)
      ),
      g AS (SELECT DISTINCT x.item_id, x.scope, x.unit FROM (SELECT d.item_id, d.scope, d.unit FROM d GROUP BY d.item_id, d.scope, d.unit, d.value HAVING sum(d.sg * d.n) <> 0) x)
      SELECT coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row), '{}'),
             coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row) FILTER (WHERE g.item_id IS NOT NULL), '{}')
      INTO v_delta, v_changed FROM d LEFT JOIN g ON g.item_id = d.item_id AND g.scope = d.scope AND g.unit = d.unit;
    ELSE
      WITH qi AS MATERIALIZED (SELECT q.item_id, q.project_id, q.block FROM quality_items q WHERE q.item_id = ANY (p_items)),
      d AS (
        SELECT 1 AS sg, qi.project_id, qi.block, c.item_id, c.scope, c.unit, c.value, c.n FROM accord_quality_item_counts(p_items) c JOIN qi ON qi.item_id = c.item_id
        UNION ALL
        SELECT -1, qi.project_id, qi.block, s.item_id, c.scope, c.unit, c.value, c.n FROM quality_item_counts s JOIN qi ON qi.item_id = s.item_id CROSS JOIN LATERAL unnest(s.counts) c WHERE s.item_id = ANY (p_items)
      ),
      g AS (SELECT DISTINCT x.item_id, x.scope, x.unit FROM (SELECT d.item_id, d.scope, d.unit FROM d GROUP BY d.item_id, d.scope, d.unit, d.value HAVING sum(d.sg * d.n) <> 0) x)
      SELECT coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row), '{}'),
             coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row) FILTER (WHERE g.item_id IS NOT NULL), '{}')
      INTO v_delta, v_changed FROM d LEFT JOIN g ON g.item_id = d.item_id AND g.scope = d.scope AND g.unit = d.unit;
    END IF;
  END IF;

  -- The aggregates need only the (item, scope, unit) groups whose counts changed (v_changed, with
  -- v_delta above): an unchanged group (a dimension the new judgment did not score, another response's
  -- ranks) adds and takes away the same. A group changed when some value's count differs (each value
  -- has at most one row per sign), found by summing signed counts: no text built and sorted per group.

  -- Coincidences: o(v1, v2) = n_v1 (n_v2 − [v1 = v2]) / (m − 1) per unit with m ≥ 2.
  WITH src AS (
    SELECT d.*, sum(n) OVER (PARTITION BY sg, item_id, scope, unit) AS m FROM unnest(v_changed) d WHERE scope NOT LIKE 'm_:%'
  ),
  cells AS (
    SELECT a.project_id, a.block, a.scope, a.value AS v1, b.value AS v2,
           sum(a.sg * a.n * (b.n - CASE WHEN a.value = b.value THEN 1 ELSE 0 END)::double precision / (a.m - 1)) AS o
    FROM src a JOIN src b ON a.sg = b.sg AND a.item_id = b.item_id AND a.scope = b.scope AND a.unit = b.unit
    WHERE a.m >= 2
    GROUP BY a.project_id, a.block, a.scope, a.value, b.value
  )
  INSERT INTO quality_coincidences AS q (project_id, scope, block, v1, v2, o)
  SELECT project_id, scope, block, v1, v2, o FROM cells WHERE o <> 0 ORDER BY project_id, scope, block, v1, v2
  ON CONFLICT (project_id, scope, block, v1, v2) DO UPDATE SET o = q.o + excluded.o;

  -- Units by size m with their pairwise agreement (3-way view for preferences).
  WITH cat AS (
    SELECT sg, project_id, block, item_id, scope, unit, CASE WHEN scope LIKE 'pref%' THEN sign(value) ELSE value END AS c, sum(n) AS n
    FROM unnest(v_changed) WHERE scope NOT LIKE 'm_:%' GROUP BY 1, 2, 3, 4, 5, 6, 7
  ),
  per AS (SELECT sg, project_id, block, item_id, scope, unit, sum(n) AS m, sum(n * (n - 1)) AS agree FROM cat GROUP BY 1, 2, 3, 4, 5, 6),
  agg AS (
    SELECT project_id, block, ((hashtext(item_id::text) >> 6) & 7)::smallint AS shard, scope, m, sum(sg) AS units,
           sum(sg * CASE WHEN m >= 2 THEN agree::double precision / (m * (m - 1)) ELSE 0 END) AS pa
    FROM per GROUP BY project_id, block, ((hashtext(item_id::text) >> 6) & 7)::smallint, scope, m
  ),
  -- In the same statement: the distribution of graded preferences (scope `dist`, m = the value, units =
  -- judgments) and per label of a classification how many judgments chose it (scope `pick:<label>`,
  -- m = 0); both add 0 to pa_sum. The three have no scope in common, so no key twice.
  rows AS (
    SELECT project_id, scope, block, m, shard, units, pa FROM agg WHERE units <> 0 OR pa <> 0
    UNION ALL
    SELECT project_id, 'dist', block, value::integer, ((hashtext(item_id::text) >> 6) & 7)::smallint, sum(sg * n), 0 FROM unnest(v_changed) WHERE scope = 'pref'
    GROUP BY project_id, block, value, ((hashtext(item_id::text) >> 6) & 7)::smallint HAVING sum(sg * n) <> 0
    UNION ALL
    SELECT project_id, 'pick:' || substr(scope, 5), block, 0, ((hashtext(item_id::text) >> 6) & 7)::smallint, sum(sg * n), 0 FROM unnest(v_changed) WHERE scope LIKE 'lbl:%' AND value = 1
    GROUP BY project_id, scope, block, ((hashtext(item_id::text) >> 6) & 7)::smallint HAVING sum(sg * n) <> 0
  )
  INSERT INTO quality_units AS q (project_id, scope, block, m, shard, units, pa_sum)
  SELECT project_id, scope, block, m, shard, units, pa FROM rows ORDER BY project_id, scope, block, m, shard
  ON CONFLICT (project_id, scope, block, m, shard) DO UPDATE SET units = q.units + excluded.units, pa_sum = q.pa_sum + excluded.pa_sum;

  -- A label set first seen (its value in scope `cls` is a hash): its labels, for MASI α. Never on the
  -- fast path (pairwise judgments only).
  IF NOT v_fast THEN
    IF EXISTS (SELECT 1 FROM unnest(v_changed) d WHERE d.sg = 1 AND d.scope = 'cls'
               AND NOT EXISTS (SELECT 1 FROM quality_label_sets s WHERE s.project_id = d.project_id AND s.value = d.value)) THEN
      INSERT INTO quality_label_sets AS q (project_id, value, labels)
      SELECT DISTINCT j.project_id, hashtext(s.k)::double precision, s.a
      FROM judgments j CROSS JOIN LATERAL (
        SELECT coalesce(string_agg(DISTINCT x, E'\t' ORDER BY x), '') AS k, coalesce(array_agg(DISTINCT x ORDER BY x), '{}') AS a
        FROM jsonb_array_elements_text(j.payload->'preference'->'labels') x
      ) s
      WHERE j.item_id = ANY (p_items) AND j.status = 'submitted' AND j.payload->'preference'->>'kind' = 'classification'
        AND jsonb_typeof(j.payload->'preference'->'labels') = 'array'
      ORDER BY 1, 2
      ON CONFLICT (project_id, value) DO NOTHING;
    END IF;
  END IF;

  -- Model pairs, from judgments (mp) and from the items' consensus (mc).
  WITH d AS (
    SELECT project_id, block, CASE WHEN scope LIKE 'mp:%' THEN 'judgments' ELSE 'consensus' END AS source,
           split_part(substr(scope, 4), E'\t', 1) AS ma, split_part(substr(scope, 4), E'\t', 2) AS mb,
           sum(sg * n) FILTER (WHERE value < 0) AS wa, sum(sg * n) FILTER (WHERE value = 0) AS t, sum(sg * n) FILTER (WHERE value > 0) AS wb,
           ((hashtext(item_id::text) >> 6) & 7)::smallint AS shard
    FROM unnest(v_changed) WHERE scope LIKE 'm_:%' GROUP BY 1, 2, 3, 4, 5, ((hashtext(item_id::text) >> 6) & 7)::smallint
  )
  INSERT INTO quality_model_pairs AS q (project_id, source, block, model_a, model_b, shard, wins_a, ties, wins_b)
  SELECT project_id, source, block, ma, mb, shard, coalesce(wa, 0), coalesce(t, 0), coalesce(wb, 0) FROM d
  WHERE coalesce(wa, 0) <> 0 OR coalesce(t, 0) <> 0 OR coalesce(wb, 0) <> 0
  ORDER BY project_id, source, block, ma, mb, shard
  ON CONFLICT (project_id, source, block, model_a, model_b, shard) DO UPDATE
    SET wins_a = q.wins_a + excluded.wins_a, ties = q.ties + excluded.ties, wins_b = q.wins_b + excluded.wins_b;

  -- Per judgment, with the majority of the item's other judgments (leave-one-out).
  WITH jr AS (SELECT * FROM unnest(v_rows)),
  c3 AS (SELECT jr.item_id, three_way AS v, count(*) AS c FROM jr WHERE three_way IS NOT NULL GROUP BY jr.item_id, three_way),
  loo AS (
    SELECT jr.judgment_id, c3.v, c3.c - CASE WHEN c3.v = jr.three_way THEN 1 ELSE 0 END AS c
    FROM jr JOIN c3 ON c3.item_id = jr.item_id
  ),
  loo2 AS (SELECT judgment_id, v, c, max(c) OVER (PARTITION BY judgment_id) AS mx FROM loo),
  looc AS (SELECT judgment_id, max(v) AS v FROM loo2 WHERE c = mx AND c > 0 GROUP BY judgment_id HAVING count(*) = 1)
  SELECT coalesce(array_agg(ROW(jr.judgment_id, jr.project_id, jr.item_id, jr.user_id, jr.submitted_at, jr.three_way, jr.graded, jr.first_pick, jr.longer_pick, jr.words, jr.seconds, jr.gold_match, looc.v)::accord_quality_judge), '{}')
  INTO v_jr
  FROM jr LEFT JOIN looc ON looc.judgment_id = jr.judgment_id;


  -- Annotator pairs on the 3-way view (the items' pairs now, minus their pairs before), and per
  -- annotator the tallies and the confusion with the others' consensus (the items' rows now, minus
  -- before): one statement, each table's upsert a part of it.
  WITH rows AS (
    SELECT 1 AS sg, j.* FROM unnest(v_jr) j
    UNION ALL SELECT -1, q.* FROM unnest(v_old) q
  ),
  pairs AS (
    SELECT a.project_id, a.user_id AS ua, b.user_id AS ub, a.three_way AS va, b.three_way AS vb, sum(a.sg) AS n
    FROM rows a JOIN rows b ON a.sg = b.sg AND a.item_id = b.item_id AND a.user_id < b.user_id
    WHERE a.three_way IS NOT NULL AND b.three_way IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
  ),
  pairs_written AS (
    INSERT INTO quality_pairs AS q (project_id, user_a, user_b, va, vb, n)
    SELECT project_id, ua, ub, va, vb, n FROM pairs WHERE n <> 0 ORDER BY project_id, ua, ub, va, vb
    ON CONFLICT (project_id, user_a, user_b, va, vb) DO UPDATE SET n = q.n + excluded.n
    RETURNING 1
  ),
  tallies AS (
    SELECT project_id, user_id, sum(sg) AS judgments,
           coalesce(sum(sg) FILTER (WHERE gold_match IS NOT NULL), 0) AS gold_n, coalesce(sum(sg) FILTER (WHERE gold_match), 0) AS gold_ok,
           coalesce(sum(sg) FILTER (WHERE first_pick IS NOT NULL), 0) AS first_n, coalesce(sum(sg) FILTER (WHERE first_pick), 0) AS first_k,
           coalesce(sum(sg) FILTER (WHERE three_way = 0), 0) AS ties, coalesce(sum(sg) FILTER (WHERE three_way IS NOT NULL), 0) AS three_n,
           coalesce(sum(sg) FILTER (WHERE longer_pick IS NOT NULL AND three_way <> 0 AND consensus <> 0), 0) AS longer_n,
           coalesce(sum(sg) FILTER (WHERE longer_pick AND three_way <> 0 AND consensus <> 0), 0) AS longer_k,
           coalesce(sum(sg) FILTER (WHERE longer_pick IS NOT NULL AND three_way <> 0 AND consensus <> 0
                                      AND (CASE WHEN consensus = three_way THEN longer_pick ELSE NOT longer_pick END)), 0) AS consensus_longer_k
    FROM rows GROUP BY 1, 2
  ),
  tallies_written AS (
    INSERT INTO quality_annotators AS q (project_id, user_id, judgments, gold_n, gold_ok, first_n, first_k, ties, three_n, longer_n, longer_k, consensus_longer_k)
    SELECT * FROM tallies
    WHERE judgments <> 0 OR gold_n <> 0 OR gold_ok <> 0 OR first_n <> 0 OR first_k <> 0 OR ties <> 0 OR three_n <> 0 OR longer_n <> 0 OR longer_k <> 0 OR consensus_longer_k <> 0
    ORDER BY project_id, user_id
    ON CONFLICT (project_id, user_id) DO UPDATE SET judgments = q.judgments + excluded.judgments, gold_n = q.gold_n + excluded.gold_n,
      gold_ok = q.gold_ok + excluded.gold_ok, first_n = q.first_n + excluded.first_n, first_k = q.first_k + excluded.first_k,
      ties = q.ties + excluded.ties, three_n = q.three_n + excluded.three_n, longer_n = q.longer_n + excluded.longer_n,
      longer_k = q.longer_k + excluded.longer_k, consensus_longer_k = q.consensus_longer_k + excluded.consensus_longer_k
    RETURNING 1
  ),
  confusion AS (
    SELECT project_id, user_id, three_way AS v, consensus AS c, sum(sg) AS n FROM rows
    WHERE three_way IS NOT NULL AND consensus IS NOT NULL GROUP BY 1, 2, 3, 4
  )
  INSERT INTO quality_confusion AS q (project_id, user_id, v, c, n)
  SELECT project_id, user_id, v, c, n FROM confusion WHERE n <> 0 ORDER BY project_id, user_id, v, c
  ON CONFLICT (project_id, user_id, v, c) DO UPDATE SET n = q.n + excluded.n;

  -- The items' counts and the copy of their judgments' rows: one row each, rewritten in place (a
  -- heap-only update when the page has room). An item keeps its row while it has counts or rows.
  INSERT INTO quality_item_counts AS q (item_id, counts, judges)
  SELECT it.item_id, coalesce(c.counts, '{}'), coalesce(jd.judges, '{}')
  FROM (SELECT DISTINCT x AS item_id FROM unnest(p_items) x) it
  LEFT JOIN (SELECT item_id, array_agg(ROW(scope, unit, value, n)::accord_quality_count ORDER BY scope, unit, value) AS counts
             FROM unnest(v_delta) WHERE sg = 1 GROUP BY item_id) c ON c.item_id = it.item_id
  LEFT JOIN (SELECT j.item_id, array_agg(j ORDER BY j.judgment_id) AS judges FROM unnest(v_jr) j GROUP BY j.item_id) jd
    ON jd.item_id = it.item_id
  WHERE c.item_id IS NOT NULL OR jd.item_id IS NOT NULL
  ORDER BY it.item_id
  ON CONFLICT (item_id) DO UPDATE SET counts = excluded.counts, judges = excluded.judges
    WHERE q.counts IS DISTINCT FROM excluded.counts OR q.judges IS DISTINCT FROM excluded.judges;
  IF NOT v_fast THEN
    DELETE FROM quality_item_counts q WHERE q.item_id = ANY (p_items)
      AND NOT EXISTS (SELECT 1 FROM unnest(v_delta) d WHERE d.sg = 1 AND d.item_id = q.item_id)
      AND NOT EXISTS (SELECT 1 FROM unnest(v_jr) j WHERE j.item_id = q.item_id);
  END IF;

  -- The judgments' rows (without their consensus, kept in the copy only): a row is written when its
  -- judgment is new, changed or gone, not when only its leave-one-out consensus moved (a submit moved
  -- it on about half the item's other rows: a random page read and written each). The rows to delete
  -- or update are found by primary key. The item's row lock serialises this per item. Each statement
  -- runs only when it has rows to write (a submit only inserts).
  -- Every annotator of these items is evaluated again (the items' dimension consensus, read from the
  -- counts, may have moved even where their row did not); removed rows queue theirs by trigger.
  IF v_fast THEN
    -- On the fast path the stored rows are the copy's, unchanged, and the new rows are the new
    -- judgments': one statement inserts them and queues the annotators.
    WITH written AS (
      INSERT INTO quality_judgments AS q (judgment_id, project_id, item_id, user_id, submitted_at, three_way, graded, first_pick, longer_pick, words, seconds, gold_match)
      SELECT j.judgment_id, j.project_id, j.item_id, j.user_id, j.submitted_at, j.three_way, j.graded, j.first_pick, j.longer_pick, j.words, j.seconds, j.gold_match
      FROM unnest(v_jr) j WHERE j.judgment_id = ANY (p_new) ORDER BY j.judgment_id
      ON CONFLICT (judgment_id) DO NOTHING
      RETURNING 1
    )
    INSERT INTO quality_member_queue (project_id, user_id) SELECT DISTINCT project_id, user_id FROM unnest(v_jr);
  ELSE
    -- The rows gone (in the copy, no longer among the judgments) and the rows whose judgment changed
    -- (anything but the consensus), found once.
    SELECT ARRAY(SELECT o.judgment_id FROM unnest(v_old) o WHERE NOT EXISTS (SELECT 1 FROM unnest(v_jr) j WHERE j.judgment_id = o.judgment_id)),
           ARRAY(SELECT j.judgment_id FROM unnest(v_old) o JOIN unnest(v_jr) j ON j.judgment_id = o.judgment_id
                 WHERE (o.project_id, o.item_id, o.user_id, o.submitted_at, o.three_way, o.graded, o.first_pick, o.longer_pick, o.words, o.seconds, o.gold_match)
                       IS DISTINCT FROM (j.project_id, j.item_id, j.user_id, j.submitted_at, j.three_way, j.graded, j.first_pick, j.longer_pick, j.words, j.seconds, j.gold_match))
    INTO v_gone, v_edited;
    IF cardinality(v_gone) > 0 THEN
      DELETE FROM quality_judgments q WHERE q.judgment_id = ANY (v_gone);
    END IF;
    IF cardinality(v_edited) > 0 THEN
      UPDATE quality_judgments q SET project_id = j.project_id, item_id = j.item_id, user_id = j.user_id,
        submitted_at = j.submitted_at, three_way = j.three_way, graded = j.graded, first_pick = j.first_pick,
        longer_pick = j.longer_pick, words = j.words, seconds = j.seconds, gold_match = j.gold_match
      FROM unnest(v_jr) j WHERE q.judgment_id = ANY (v_edited) AND j.judgment_id = q.judgment_id;
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(v_jr) j WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old) o WHERE o.judgment_id = j.judgment_id)) THEN
      INSERT INTO quality_judgments AS q (judgment_id, project_id, item_id, user_id, submitted_at, three_way, graded, first_pick, longer_pick, words, seconds, gold_match)
      SELECT j.judgment_id, j.project_id, j.item_id, j.user_id, j.submitted_at, j.three_way, j.graded, j.first_pick, j.longer_pick, j.words, j.seconds, j.gold_match
      FROM unnest(v_jr) j
      WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old) o WHERE o.judgment_id = j.judgment_id) ORDER BY j.judgment_id
      ON CONFLICT (judgment_id) DO NOTHING;
    END IF;
    INSERT INTO quality_member_queue (project_id, user_id) SELECT DISTINCT project_id, user_id FROM unnest(v_jr);
  END IF;

  -- The items' own figures (joins on item id: linear in the batch), from their preferences.
  IF v_fast THEN v_ranked := false;
  ELSE v_ranked := EXISTS (SELECT 1 FROM unnest(v_delta) d WHERE d.sg = 1 AND d.scope = 'rank');
  END IF;
  WITH cur AS (SELECT * FROM unnest(v_delta) WHERE sg = 1 AND scope = 'pref'),
  pref AS (SELECT item_id, sign(value) AS c, sum(n) AS n FROM cur GROUP BY 1, 2),
  pm AS (SELECT item_id, sum(n) AS m, sum(n * (n - 1)) AS agree FROM pref GROUP BY 1),
  pranked AS (SELECT item_id, c, n, max(n) OVER (PARTITION BY item_id) AS mx FROM pref),
  cons AS (SELECT item_id, max(c) AS c FROM pranked WHERE n = mx GROUP BY item_id HAVING count(*) = 1),
  gsd AS (
    SELECT item_id, sqrt(greatest(sum(n * value * value) / sum(n) - (sum(n * value) / sum(n)) ^ 2, 0)) AS sd, sum(n) AS m
    FROM cur GROUP BY 1
  ),
  counts AS (SELECT item_id, count(*) AS n FROM unnest(v_jr) GROUP BY 1),
  fig AS (
    SELECT it.item_id,
           coalesce(counts.n, 0) AS judgments,
           CASE WHEN pm.m >= 2 THEN pm.agree::double precision / (pm.m * (pm.m - 1)) END AS agreement,
           CASE WHEN gsd.m >= 2 THEN gsd.sd END AS spread,
           cons.c AS consensus, NULL::double precision AS kendall_w
    FROM (SELECT DISTINCT x AS item_id FROM unnest(p_items) x) it
    LEFT JOIN counts ON counts.item_id = it.item_id
    LEFT JOIN pm ON pm.item_id = it.item_id
    LEFT JOIN gsd ON gsd.item_id = it.item_id
    LEFT JOIN cons ON cons.item_id = it.item_id
  )
  UPDATE quality_items q SET judgments = fig.judgments, agreement = fig.agreement, spread = fig.spread, consensus = fig.consensus,
    kendall_w = fig.kendall_w, updated_at = clock_timestamp()
  FROM fig WHERE fig.item_id = q.item_id;
  -- Ranked items (their counts have `rank` rows): agreement and spread from the rankings where the
  -- preferences give none, and Kendall's W. The statement runs only then; its plan is not even started
  -- otherwise.
  IF v_ranked THEN
    WITH rk AS (SELECT * FROM accord_quality_rank_rows(p_items)),
    rkj AS (SELECT item_id, count(DISTINCT judgment_id) AS m, count(DISTINCT response_id) AS k FROM rk GROUP BY 1),
    rsd AS (SELECT item_id, avg(sd) AS sd FROM (SELECT item_id, stddev_pop(rank) AS sd FROM rk GROUP BY item_id, response_id) x GROUP BY 1),
    rpairs AS (
      SELECT x.item_id, x.response_id AS rid1, y.response_id AS rid2, sign(x.rank - y.rank) AS o, count(*) AS n
      FROM rk x JOIN rk y ON x.judgment_id = y.judgment_id AND x.response_id < y.response_id GROUP BY 1, 2, 3, 4
    ),
    ragree AS (
      SELECT item_id, sum(agree)::double precision / nullif(sum(m * (m - 1)), 0) AS a
      FROM (SELECT item_id, rid1, rid2, sum(n) AS m, sum(n * (n - 1)) AS agree FROM rpairs GROUP BY 1, 2, 3) p WHERE m >= 2 GROUP BY 1
    ),
    rss AS (
      SELECT rsum.item_id, sum((rsum.rs - rkj.m * (rkj.k + 1) / 2.0) ^ 2) AS s
      FROM (SELECT item_id, response_id, sum(rank) AS rs FROM rk GROUP BY 1, 2) rsum JOIN rkj ON rkj.item_id = rsum.item_id GROUP BY 1
    ),
    ties AS (SELECT item_id, sum(ts) AS t FROM (SELECT DISTINCT item_id, judgment_id, tie_sum AS ts FROM rk) u GROUP BY 1),
    w AS (
      SELECT rkj.item_id,
             CASE WHEN rkj.m >= 2 AND rkj.k >= 2 THEN 12 * rss.s / nullif(rkj.m * rkj.m * (rkj.k ^ 3 - rkj.k) - rkj.m * coalesce(ties.t, 0), 0) END AS w
      FROM rkj JOIN rss ON rss.item_id = rkj.item_id LEFT JOIN ties ON ties.item_id = rkj.item_id
    )
    UPDATE quality_items q SET agreement = coalesce(q.agreement, ragree.a),
      spread = coalesce(q.spread, CASE WHEN rkj.m >= 2 THEN rsd.sd END), kendall_w = w.w
    FROM rkj LEFT JOIN ragree ON ragree.item_id = rkj.item_id LEFT JOIN rsd ON rsd.item_id = rkj.item_id
      LEFT JOIN w ON w.item_id = rkj.item_id
    WHERE q.item_id = rkj.item_id;
  END IF;

  PERFORM pg_notify('accord_quality', x.project_id::text) FROM (SELECT DISTINCT i.project_id FROM items i WHERE i.id = ANY (p_items)) x;
END
$fn$;

--> statement-breakpoint
CREATE FUNCTION accord_quality_refresh_few(p_items uuid[], p_new uuid[] DEFAULT NULL) RETURNS void LANGUAGE plpgsql SET jit = off SET plan_cache_mode = force_generic_plan AS $fn$
BEGIN
  PERFORM accord_quality_refresh_core(p_items, p_new);
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION accord_quality_refresh_batch(p_items uuid[]) RETURNS void LANGUAGE plpgsql SET jit = off SET plan_cache_mode = force_custom_plan AS $fn$
BEGIN
  PERFORM accord_quality_refresh_core(p_items);
END
$fn$;
--> statement-breakpoint
-- p_new: the judgments the calling statement inserted (all of the items' changes), for the fast path.
CREATE FUNCTION accord_quality_refresh_items(p_items uuid[], p_new uuid[] DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF p_items IS NULL OR cardinality(p_items) = 0 THEN RETURN; END IF;
  IF cardinality(p_items) <= 8 THEN PERFORM accord_quality_refresh_few(p_items, p_new);
  ELSE PERFORM accord_quality_refresh_batch(p_items);
  END IF;
END
$fn$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_quality_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM accord_quality_refresh_items(
    (SELECT array_agg(DISTINCT n.item_id) FROM new_rows n WHERE n.status = 'submitted'),
    (SELECT array_agg(n.id) FROM new_rows n WHERE n.status = 'submitted'));
  RETURN NULL;
END
$fn$;
