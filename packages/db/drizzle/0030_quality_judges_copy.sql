-- A submit's refresh stops reading and writing its item's other judgment rows in quality_judgments
-- (issue 10's < 5 ms). One item's rows lie on as many heap pages as it has judgments (they arrive one
-- by one), and on a 1,000,000-judgment project most of those pages are not in memory. With
-- pg_stat_statements and track_io_timing on the benchmark machine, a submit read about 6 of them
-- (0.6–0.8 ms each from disk) to subtract the item's stored rows, and read and rewrote about half
-- of them again because their leave-one-out consensus had moved.
-- 1. The item's rows are kept as an array beside its counts (quality_item_counts.judges, one row per
--    item, read by the refresh already) and read from there.
-- 2. The leave-one-out consensus lives only in that copy: quality_judgments loses its consensus column
--    and its rows are written only when their judgment is new, changed or gone. The members' recent
--    judgments (flags, drift) take their consensus from the copy, looked up by item as their
--    dimension scores already look up the item's counts.
-- 3. The delete and the update of quality_judgments find their rows by primary key.
-- 4. Its index by item goes: nothing reads quality_judgments by item any more, and an insert no longer
--    updates that index (a random leaf page per submit).
-- Every counts row has a copy (the column is NOT NULL, filled below for existing items), so no item's
-- stored rows are ever read from quality_judgments.
-- A judgment deleted from the database (not by a route) is now subtracted too: its copy is still
-- there when the statement trigger runs, after the cascade removed its quality_judgments row.
-- The copy has its own type, not quality_judgments' row type: a column of a table's row type would
-- forbid altering that table.
CREATE TYPE accord_quality_judge AS (judgment_id uuid, project_id uuid, item_id uuid, user_id uuid, submitted_at timestamptz,
  three_way smallint, graded smallint, first_pick boolean, longer_pick boolean, words integer, seconds double precision,
  gold_match boolean, consensus smallint);
--> statement-breakpoint
ALTER TABLE "quality_item_counts" ADD COLUMN "judges" "accord_quality_judge"[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
-- The copy for every item with stored rows (an item with rows but no counts gets a row with none).
UPDATE quality_item_counts c SET judges = coalesce((SELECT array_agg(ROW(q.*)::accord_quality_judge ORDER BY q.judgment_id) FROM quality_judgments q WHERE q.item_id = c.item_id), '{}');
--> statement-breakpoint
INSERT INTO quality_item_counts (item_id, counts, judges)
SELECT q.item_id, '{}', array_agg(ROW(q.*)::accord_quality_judge ORDER BY q.judgment_id) FROM quality_judgments q
WHERE NOT EXISTS (SELECT 1 FROM quality_item_counts c WHERE c.item_id = q.item_id) GROUP BY q.item_id;
--> statement-breakpoint
ALTER TABLE "quality_judgments" DROP COLUMN "consensus";--> statement-breakpoint
DROP INDEX "quality_judgments_item_idx";--> statement-breakpoint
-- The refresh is 0029's with the stored rows read from the copy (typed accord_quality_judge), the copy
-- written with the counts, and quality_judgments written as above (2, 3).
CREATE OR REPLACE FUNCTION accord_quality_refresh_core(p_items uuid[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_project record;
  v_delta accord_quality_delta_row[];
  v_changed accord_quality_delta_row[];
  v_jr accord_quality_judge[];
  v_rows accord_quality_jrow[];
  v_old accord_quality_judge[];
  v_gone uuid[];
  v_edited uuid[];
  v_ranked boolean;
  v_pairwise boolean;
BEGIN
  IF p_items IS NULL OR cardinality(p_items) = 0 THEN RETURN; END IF;
  -- Only for an item without its row yet (its first judgment): the statement would run its statement
  -- trigger on quality_items even when it inserts nothing.
  IF EXISTS (SELECT 1 FROM unnest(p_items) x WHERE NOT EXISTS (SELECT 1 FROM quality_items q WHERE q.item_id = x)) THEN
    INSERT INTO quality_items AS q (item_id, project_id, block)
    SELECT i.id, i.project_id, (hashtext(i.id::text) & 63)::smallint FROM items i WHERE i.id = ANY (p_items) ORDER BY i.id
    ON CONFLICT (item_id) DO NOTHING;
  END IF;
  -- Locked in id order by a row lock, not by a dummy update (a new row version under seven indexes).
  PERFORM 1 FROM quality_items q WHERE q.item_id = ANY (p_items) ORDER BY q.item_id FOR UPDATE;

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
    )
    SELECT coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row), '{}') INTO v_delta FROM d;
  ELSE
    WITH qi AS MATERIALIZED (SELECT q.item_id, q.project_id, q.block FROM quality_items q WHERE q.item_id = ANY (p_items)),
    d AS (
      SELECT 1 AS sg, qi.project_id, qi.block, c.item_id, c.scope, c.unit, c.value, c.n FROM accord_quality_item_counts(p_items) c JOIN qi ON qi.item_id = c.item_id
      UNION ALL
      SELECT -1, qi.project_id, qi.block, s.item_id, c.scope, c.unit, c.value, c.n FROM quality_item_counts s JOIN qi ON qi.item_id = s.item_id CROSS JOIN LATERAL unnest(s.counts) c WHERE s.item_id = ANY (p_items)
    )
    SELECT coalesce(array_agg(ROW(d.sg, d.project_id, d.block, d.item_id, d.scope, d.unit, d.value, d.n)::accord_quality_delta_row), '{}') INTO v_delta FROM d;
  END IF;

  -- The aggregates need only the (item, scope, unit) groups whose counts changed: an unchanged group
  -- (a dimension the new judgment did not score, another response's ranks) adds and takes away the same.
  -- A group changed when some value's count differs (each value has at most one row per sign), found
  -- by summing signed counts: no text built and sorted per group.
  WITH g AS (
    SELECT DISTINCT item_id, scope, unit FROM (
      SELECT item_id, scope, unit, value FROM unnest(v_delta) GROUP BY item_id, scope, unit, value HAVING sum(sg * n) <> 0
    ) x
  )
  SELECT coalesce(array_agg(d), '{}') INTO v_changed FROM unnest(v_delta) d JOIN g ON g.item_id = d.item_id AND g.scope = d.scope AND g.unit = d.unit;

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
  )
  INSERT INTO quality_units AS q (project_id, scope, block, m, shard, units, pa_sum)
  SELECT project_id, scope, block, m, shard, units, pa FROM agg WHERE units <> 0 OR pa <> 0 ORDER BY project_id, scope, block, m, shard
  ON CONFLICT (project_id, scope, block, m, shard) DO UPDATE SET units = q.units + excluded.units, pa_sum = q.pa_sum + excluded.pa_sum;

  -- The distribution of graded preferences (scope `dist`, m = the value, units = judgments).
  INSERT INTO quality_units AS q (project_id, scope, block, m, shard, units, pa_sum)
  SELECT project_id, 'dist', block, value::integer, ((hashtext(item_id::text) >> 6) & 7)::smallint, sum(sg * n), 0 FROM unnest(v_changed) WHERE scope = 'pref'
  GROUP BY project_id, block, value, ((hashtext(item_id::text) >> 6) & 7)::smallint HAVING sum(sg * n) <> 0 ORDER BY 1, 3, 4, 5
  ON CONFLICT (project_id, scope, block, m, shard) DO UPDATE SET units = q.units + excluded.units;

  -- Per label of a classification: how many judgments chose it (scope `pick:<label>`, m = 0).
  INSERT INTO quality_units AS q (project_id, scope, block, m, shard, units, pa_sum)
  SELECT project_id, 'pick:' || substr(scope, 5), block, 0, ((hashtext(item_id::text) >> 6) & 7)::smallint, sum(sg * n), 0 FROM unnest(v_changed) WHERE scope LIKE 'lbl:%' AND value = 1
  GROUP BY project_id, scope, block, ((hashtext(item_id::text) >> 6) & 7)::smallint HAVING sum(sg * n) <> 0 ORDER BY 1, 2, 3, 5
  ON CONFLICT (project_id, scope, block, m, shard) DO UPDATE SET units = q.units + excluded.units;

  -- A label set first seen (its value in scope `cls` is a hash): its labels, for MASI α.
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

  -- The items' rows as stored: the pairs, tallies and confusion below subtract them, and the writes
  -- compare with them. They are read from their copy beside the items' counts (one row per item,
  -- read above already), not from quality_judgments, where one item's rows lie on as many pages as
  -- it has judgments. An item without a counts row has no stored rows.
  SELECT coalesce(array_agg(j), '{}') INTO v_old FROM quality_item_counts c CROSS JOIN LATERAL unnest(c.judges) j WHERE c.item_id = ANY (p_items);

  -- Annotator pairs on the 3-way view: the items' pairs now, minus their pairs before.
  WITH src AS (
    SELECT 1 AS sg, project_id, item_id, user_id, three_way FROM unnest(v_jr) WHERE three_way IS NOT NULL
    UNION ALL SELECT -1, project_id, item_id, user_id, three_way FROM unnest(v_old) WHERE three_way IS NOT NULL
  ),
  d AS (
    SELECT a.project_id, a.user_id AS ua, b.user_id AS ub, a.three_way AS va, b.three_way AS vb, sum(a.sg) AS n
    FROM src a JOIN src b ON a.sg = b.sg AND a.item_id = b.item_id AND a.user_id < b.user_id
    GROUP BY 1, 2, 3, 4, 5
  )
  INSERT INTO quality_pairs AS q (project_id, user_a, user_b, va, vb, n)
  SELECT project_id, ua, ub, va, vb, n FROM d WHERE n <> 0 ORDER BY project_id, ua, ub, va, vb
  ON CONFLICT (project_id, user_a, user_b, va, vb) DO UPDATE SET n = q.n + excluded.n;

  -- Per annotator tallies and confusion with the others' consensus: the items' rows now minus before.
  WITH src AS (
    SELECT 1 AS sg, j.* FROM unnest(v_jr) j
    UNION ALL SELECT -1, q.* FROM unnest(v_old) q
  ),
  d AS (
    SELECT project_id, user_id, sum(sg) AS judgments,
           coalesce(sum(sg) FILTER (WHERE gold_match IS NOT NULL), 0) AS gold_n, coalesce(sum(sg) FILTER (WHERE gold_match), 0) AS gold_ok,
           coalesce(sum(sg) FILTER (WHERE first_pick IS NOT NULL), 0) AS first_n, coalesce(sum(sg) FILTER (WHERE first_pick), 0) AS first_k,
           coalesce(sum(sg) FILTER (WHERE three_way = 0), 0) AS ties, coalesce(sum(sg) FILTER (WHERE three_way IS NOT NULL), 0) AS three_n,
           coalesce(sum(sg) FILTER (WHERE longer_pick IS NOT NULL AND three_way <> 0 AND consensus <> 0), 0) AS longer_n,
           coalesce(sum(sg) FILTER (WHERE longer_pick AND three_way <> 0 AND consensus <> 0), 0) AS longer_k,
           coalesce(sum(sg) FILTER (WHERE longer_pick IS NOT NULL AND three_way <> 0 AND consensus <> 0
                                      AND (CASE WHEN consensus = three_way THEN longer_pick ELSE NOT longer_pick END)), 0) AS consensus_longer_k
    FROM src GROUP BY 1, 2
  )
  INSERT INTO quality_annotators AS q (project_id, user_id, judgments, gold_n, gold_ok, first_n, first_k, ties, three_n, longer_n, longer_k, consensus_longer_k)
  SELECT * FROM d
  WHERE judgments <> 0 OR gold_n <> 0 OR gold_ok <> 0 OR first_n <> 0 OR first_k <> 0 OR ties <> 0 OR three_n <> 0 OR longer_n <> 0 OR longer_k <> 0 OR consensus_longer_k <> 0
  ORDER BY project_id, user_id
  ON CONFLICT (project_id, user_id) DO UPDATE SET judgments = q.judgments + excluded.judgments, gold_n = q.gold_n + excluded.gold_n,
    gold_ok = q.gold_ok + excluded.gold_ok, first_n = q.first_n + excluded.first_n, first_k = q.first_k + excluded.first_k,
    ties = q.ties + excluded.ties, three_n = q.three_n + excluded.three_n, longer_n = q.longer_n + excluded.longer_n,
    longer_k = q.longer_k + excluded.longer_k, consensus_longer_k = q.consensus_longer_k + excluded.consensus_longer_k;

  WITH src AS (
    SELECT 1 AS sg, project_id, user_id, three_way, consensus FROM unnest(v_jr) WHERE three_way IS NOT NULL AND consensus IS NOT NULL
    UNION ALL SELECT -1, project_id, user_id, three_way, consensus FROM unnest(v_old)
    WHERE three_way IS NOT NULL AND consensus IS NOT NULL
  ),
  d AS (SELECT project_id, user_id, three_way AS v, consensus AS c, sum(sg) AS n FROM src GROUP BY 1, 2, 3, 4)
  INSERT INTO quality_confusion AS q (project_id, user_id, v, c, n)
  SELECT project_id, user_id, v, c, n FROM d WHERE n <> 0 ORDER BY project_id, user_id, v, c
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
  DELETE FROM quality_item_counts q WHERE q.item_id = ANY (p_items)
    AND NOT EXISTS (SELECT 1 FROM unnest(v_delta) d WHERE d.sg = 1 AND d.item_id = q.item_id)
    AND NOT EXISTS (SELECT 1 FROM unnest(v_jr) j WHERE j.item_id = q.item_id);

  -- The judgments' rows (without their consensus, kept in the copy only): a row is written when its
  -- judgment is new, changed or gone, not when only its leave-one-out consensus moved (a submit moved
  -- it on about half the item's other rows: a random page read and written each). The rows to delete
  -- or update are found by primary key. The item's row lock serialises this per item. Each statement
  -- runs only when it has rows to write (a submit only inserts).
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
  -- Every annotator of these items is evaluated again (the items' dimension consensus, read from the
  -- counts, may have moved even where their row did not); removed rows queue theirs by trigger.
  INSERT INTO quality_member_queue (project_id, user_id) SELECT DISTINCT project_id, user_id FROM unnest(v_jr);

  -- The items' own figures (joins on item id: linear in the batch), from their preferences.
  v_ranked := EXISTS (SELECT 1 FROM unnest(v_delta) d WHERE d.sg = 1 AND d.scope = 'rank');
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

  FOR v_project IN SELECT DISTINCT i.project_id FROM items i WHERE i.id = ANY (p_items) LOOP
    PERFORM pg_notify('accord_quality', v_project.project_id::text);
  END LOOP;
END
$fn$;
