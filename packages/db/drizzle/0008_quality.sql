CREATE TABLE "quality_coincidences" (
	"project_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"block" smallint NOT NULL,
	"v1" double precision NOT NULL,
	"v2" double precision NOT NULL,
	"o" double precision NOT NULL,
	CONSTRAINT "quality_coincidences_project_id_scope_block_v1_v2_pk" PRIMARY KEY("project_id","scope","block","v1","v2")
);
--> statement-breakpoint
CREATE TABLE "quality_counts" (
	"item_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"unit" text NOT NULL,
	"value" double precision NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "quality_counts_item_id_scope_unit_value_pk" PRIMARY KEY("item_id","scope","unit","value")
);
--> statement-breakpoint
CREATE TABLE "quality_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"dimension" text DEFAULT '' NOT NULL,
	"value" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"window" integer NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cleared_at" timestamp with time zone,
	"cleared_by" uuid,
	"clear_reason" text
);
--> statement-breakpoint
CREATE TABLE "quality_items" (
	"item_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"block" smallint NOT NULL,
	"judgments" integer DEFAULT 0 NOT NULL,
	"agreement" double precision,
	"spread" double precision,
	"consensus" smallint,
	"kendall_w" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quality_judgments" (
	"judgment_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"three_way" smallint,
	"graded" smallint,
	"first_pick" boolean,
	"longer_pick" boolean,
	"words" integer DEFAULT 0 NOT NULL,
	"seconds" double precision,
	"gold_match" boolean,
	"consensus" smallint
);
--> statement-breakpoint
CREATE TABLE "quality_model_pairs" (
	"project_id" uuid NOT NULL,
	"source" text NOT NULL,
	"block" smallint NOT NULL,
	"model_a" text NOT NULL,
	"model_b" text NOT NULL,
	"wins_a" integer DEFAULT 0 NOT NULL,
	"ties" integer DEFAULT 0 NOT NULL,
	"wins_b" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "quality_model_pairs_project_id_source_block_model_a_model_b_pk" PRIMARY KEY("project_id","source","block","model_a","model_b")
);
--> statement-breakpoint
CREATE TABLE "quality_pairs" (
	"project_id" uuid NOT NULL,
	"user_a" uuid NOT NULL,
	"user_b" uuid NOT NULL,
	"va" smallint NOT NULL,
	"vb" smallint NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "quality_pairs_project_id_user_a_user_b_va_vb_pk" PRIMARY KEY("project_id","user_a","user_b","va","vb")
);
--> statement-breakpoint
CREATE TABLE "quality_units" (
	"project_id" uuid NOT NULL,
	"scope" text NOT NULL,
	"block" smallint NOT NULL,
	"m" integer NOT NULL,
	"units" integer NOT NULL,
	"pa_sum" double precision NOT NULL,
	CONSTRAINT "quality_units_project_id_scope_block_m_pk" PRIMARY KEY("project_id","scope","block","m")
);
--> statement-breakpoint
ALTER TABLE "quality_coincidences" ADD CONSTRAINT "quality_coincidences_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_counts" ADD CONSTRAINT "quality_counts_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_flags" ADD CONSTRAINT "quality_flags_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_flags" ADD CONSTRAINT "quality_flags_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_flags" ADD CONSTRAINT "quality_flags_cleared_by_users_id_fk" FOREIGN KEY ("cleared_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_items" ADD CONSTRAINT "quality_items_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_items" ADD CONSTRAINT "quality_items_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_judgment_id_judgments_id_fk" FOREIGN KEY ("judgment_id") REFERENCES "public"."judgments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_judgments" ADD CONSTRAINT "quality_judgments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_model_pairs" ADD CONSTRAINT "quality_model_pairs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_pairs" ADD CONSTRAINT "quality_pairs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_pairs" ADD CONSTRAINT "quality_pairs_user_a_users_id_fk" FOREIGN KEY ("user_a") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_pairs" ADD CONSTRAINT "quality_pairs_user_b_users_id_fk" FOREIGN KEY ("user_b") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quality_units" ADD CONSTRAINT "quality_units_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "quality_flags_project_idx" ON "quality_flags" USING btree ("project_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "quality_flags_open_uq" ON "quality_flags" USING btree ("project_id","user_id","kind","dimension") WHERE "quality_flags"."status" = 'open';--> statement-breakpoint
CREATE INDEX "quality_items_judgments_idx" ON "quality_items" USING btree ("project_id","judgments");--> statement-breakpoint
CREATE INDEX "quality_items_agreement_idx" ON "quality_items" USING btree ("project_id","agreement");--> statement-breakpoint
CREATE INDEX "quality_items_spread_idx" ON "quality_items" USING btree ("project_id","spread");--> statement-breakpoint
CREATE INDEX "quality_items_updated_idx" ON "quality_items" USING btree ("project_id","updated_at");--> statement-breakpoint
CREATE INDEX "quality_judgments_user_idx" ON "quality_judgments" USING btree ("project_id","user_id","submitted_at");--> statement-breakpoint
CREATE INDEX "quality_judgments_item_idx" ON "quality_judgments" USING btree ("item_id");--> statement-breakpoint
-- Quality contributions (features/quality): every change of items' submitted judgments refreshes
-- those items' stored contributions, replacing their old ones in the block aggregates by a delta,
-- set-based (one pass per table for a whole statement's items: an import batch costs a few
-- statements). Items are refreshed under their `quality_items` row locks, taken first and in id
-- order, so concurrent judgments of an item apply one after the other and each sees the other's
-- (READ COMMITTED: every statement below takes a fresh snapshot); a statement never waits for an
-- item while holding a block row, so no lock cycle forms between submits.

-- One row per submitted judgment of the items, in each item's canonical terms.
CREATE FUNCTION accord_quality_judgment_rows(p_items uuid[])
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
         CASE WHEN g.gold3 IS NOT NULL AND g.gv IS NOT NULL THEN g.gold3 = sign(g.gv) END,
         g.payload,
         (SELECT r->>'model' FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.pa LIMIT 1),
         (SELECT r->>'model' FROM jsonb_array_elements(g.responses) r WHERE r->>'id' = g.pb LIMIT 1)
  FROM g
$fn$;
--> statement-breakpoint
-- Rankings: each ranked response's average rank (1 = best) per judgment.
CREATE FUNCTION accord_quality_rank_rows(p_items uuid[])
RETURNS TABLE (item_id uuid, judgment_id uuid, response_id text, rank double precision, tie_sum double precision, model text)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH grp AS (
    SELECT j.item_id, j.id, gr.ord, gr.value AS ids, jsonb_array_length(gr.value) AS size
    FROM judgments j CROSS JOIN LATERAL jsonb_array_elements(j.payload->'preference'->'groups') WITH ORDINALITY gr(value, ord)
    WHERE j.item_id = ANY (p_items) AND j.status = 'submitted' AND j.payload->'preference'->>'kind' = 'ranking'
  ),
  cum AS (
    SELECT item_id, id, ord, ids, size, sum(size) OVER (PARTITION BY id ORDER BY ord) - size AS before,
           sum(size * size * size - size) OVER (PARTITION BY id) AS tie_sum
    FROM grp
  )
  SELECT cum.item_id, cum.id, r.value, cum.before + (cum.size + 1) / 2.0, cum.tie_sum::double precision,
         (SELECT x->>'model' FROM items i CROSS JOIN LATERAL jsonb_array_elements(i.responses) x WHERE i.id = cum.item_id AND x->>'id' = r.value LIMIT 1)
  FROM cum CROSS JOIN LATERAL jsonb_array_elements_text(cum.ids) r(value)
$fn$;
--> statement-breakpoint
-- The items' value counts per scope and unit (see packages/db/src/schema/quality.ts), and their
-- model pair outcomes: `mp:<model a>\t<model b>` per judgment and `mc:…` for the item's consensus,
-- with value −1 (a won), 0 (tie), 1 (b won) and model a < model b.
CREATE FUNCTION accord_quality_item_counts(p_items uuid[])
RETURNS TABLE (item_id uuid, scope text, unit text, value double precision, n integer)
LANGUAGE sql STABLE ROWS 20 AS $fn$
  WITH jr AS (SELECT * FROM accord_quality_judgment_rows(p_items)),
  rk AS (SELECT * FROM accord_quality_rank_rows(p_items)),
  c3 AS (SELECT jr.item_id, three_way AS v, count(*) AS c FROM jr WHERE three_way IS NOT NULL GROUP BY jr.item_id, three_way),
  ranked AS (SELECT c3.item_id, v, c, max(c) OVER (PARTITION BY c3.item_id) AS mx FROM c3),
  cons AS (SELECT ranked.item_id, max(v) AS v FROM ranked WHERE c = mx GROUP BY ranked.item_id HAVING count(*) = 1),
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
    UNION ALL
    SELECT pair.item_id, 'mp:' || least(ma, mb) || E'\t' || greatest(ma, mb), '', CASE WHEN ma <= mb THEN o ELSE -o END
    FROM pair WHERE ma IS NOT NULL AND mb IS NOT NULL AND ma <> '' AND mb <> '' AND ma <> mb
    UNION ALL
    SELECT cons.item_id, 'mc:' || least(ms.m0, ms.m1) || E'\t' || greatest(ms.m0, ms.m1), '', CASE WHEN ms.m0 <= ms.m1 THEN cons.v ELSE -cons.v END
    FROM cons JOIN (SELECT i.id, i.responses->0->>'model' AS m0, i.responses->1->>'model' AS m1 FROM items i WHERE i.id = ANY (p_items)) ms ON ms.id = cons.item_id
    WHERE cons.v IS NOT NULL AND ms.m0 IS NOT NULL AND ms.m1 IS NOT NULL AND ms.m0 <> '' AND ms.m1 <> '' AND ms.m0 <> ms.m1
  )
  SELECT obs.item_id, scope, unit, value, count(*)::integer FROM obs GROUP BY obs.item_id, scope, unit, value
$fn$;
--> statement-breakpoint
-- Locks (creating) the items' quality rows in id order, then replaces their contributions; tells listeners.
-- JIT off: the planner's estimates for these small sets exceed jit_above_cost, and compiling costs
-- seconds where running takes milliseconds.
CREATE FUNCTION accord_quality_refresh_items(p_items uuid[]) RETURNS void LANGUAGE plpgsql SET jit = off AS $fn$
DECLARE
  v_project record;
BEGIN
  IF p_items IS NULL OR cardinality(p_items) = 0 THEN RETURN; END IF;
  INSERT INTO quality_items AS q (item_id, project_id, block)
  SELECT i.id, i.project_id, (hashtext(i.id::text) & 255)::smallint FROM items i WHERE i.id = ANY (p_items) ORDER BY i.id
  ON CONFLICT (item_id) DO UPDATE SET updated_at = q.updated_at;

  IF to_regclass('pg_temp.accord_quality_delta') IS NULL THEN
    CREATE TEMP TABLE accord_quality_delta (sg integer, project_id uuid, block smallint, item_id uuid, scope text, unit text, value double precision, n integer) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE accord_quality_jr (LIKE quality_judgments) ON COMMIT DELETE ROWS;
  ELSE
    DELETE FROM accord_quality_delta;
    DELETE FROM accord_quality_jr;
  END IF;
  INSERT INTO accord_quality_delta
  SELECT 1, q.project_id, q.block, c.item_id, c.scope, c.unit, c.value, c.n FROM accord_quality_item_counts(p_items) c JOIN quality_items q ON q.item_id = c.item_id;
  INSERT INTO accord_quality_delta
  SELECT -1, q.project_id, q.block, c.item_id, c.scope, c.unit, c.value, c.n FROM quality_counts c JOIN quality_items q ON q.item_id = c.item_id WHERE c.item_id = ANY (p_items);

  -- Coincidences: o(v1, v2) = n_v1 (n_v2 − [v1 = v2]) / (m − 1) per unit with m ≥ 2.
  WITH src AS (
    SELECT d.*, sum(n) OVER (PARTITION BY sg, item_id, scope, unit) AS m FROM accord_quality_delta d WHERE scope NOT LIKE 'm_:%'
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
    FROM accord_quality_delta WHERE scope NOT LIKE 'm_:%' GROUP BY 1, 2, 3, 4, 5, 6, 7
  ),
  per AS (SELECT sg, project_id, block, item_id, scope, unit, sum(n) AS m, sum(n * (n - 1)) AS agree FROM cat GROUP BY 1, 2, 3, 4, 5, 6),
  agg AS (
    SELECT project_id, block, scope, m, sum(sg) AS units, sum(sg * CASE WHEN m >= 2 THEN agree::double precision / (m * (m - 1)) ELSE 0 END) AS pa
    FROM per GROUP BY project_id, block, scope, m
  )
  INSERT INTO quality_units AS q (project_id, scope, block, m, units, pa_sum)
  SELECT project_id, scope, block, m, units, pa FROM agg WHERE units <> 0 OR pa <> 0 ORDER BY project_id, scope, block, m
  ON CONFLICT (project_id, scope, block, m) DO UPDATE SET units = q.units + excluded.units, pa_sum = q.pa_sum + excluded.pa_sum;

  -- The distribution of graded preferences (scope `dist`, m = the value, units = judgments).
  INSERT INTO quality_units AS q (project_id, scope, block, m, units, pa_sum)
  SELECT project_id, 'dist', block, value::integer, sum(sg * n), 0 FROM accord_quality_delta WHERE scope = 'pref'
  GROUP BY project_id, block, value HAVING sum(sg * n) <> 0 ORDER BY 1, 3, 4
  ON CONFLICT (project_id, scope, block, m) DO UPDATE SET units = q.units + excluded.units;

  -- Model pairs, from judgments (mp) and from the items' consensus (mc).
  WITH d AS (
    SELECT project_id, block, CASE WHEN scope LIKE 'mp:%' THEN 'judgments' ELSE 'consensus' END AS source,
           split_part(substr(scope, 4), E'\t', 1) AS ma, split_part(substr(scope, 4), E'\t', 2) AS mb,
           sum(sg * n) FILTER (WHERE value < 0) AS wa, sum(sg * n) FILTER (WHERE value = 0) AS t, sum(sg * n) FILTER (WHERE value > 0) AS wb
    FROM accord_quality_delta WHERE scope LIKE 'm_:%' GROUP BY 1, 2, 3, 4, 5
  )
  INSERT INTO quality_model_pairs AS q (project_id, source, block, model_a, model_b, wins_a, ties, wins_b)
  SELECT project_id, source, block, ma, mb, coalesce(wa, 0), coalesce(t, 0), coalesce(wb, 0) FROM d
  WHERE coalesce(wa, 0) <> 0 OR coalesce(t, 0) <> 0 OR coalesce(wb, 0) <> 0
  ORDER BY project_id, source, block, ma, mb
  ON CONFLICT (project_id, source, block, model_a, model_b) DO UPDATE
    SET wins_a = q.wins_a + excluded.wins_a, ties = q.ties + excluded.ties, wins_b = q.wins_b + excluded.wins_b;

  -- Per judgment, with the majority of the item's other judgments (leave-one-out).
  WITH jr AS (SELECT * FROM accord_quality_judgment_rows(p_items)),
  c3 AS (SELECT jr.item_id, three_way AS v, count(*) AS c FROM jr WHERE three_way IS NOT NULL GROUP BY jr.item_id, three_way),
  loo AS (
    SELECT jr.judgment_id, c3.v, c3.c - CASE WHEN c3.v = jr.three_way THEN 1 ELSE 0 END AS c
    FROM jr JOIN c3 ON c3.item_id = jr.item_id
  ),
  loo2 AS (SELECT judgment_id, v, c, max(c) OVER (PARTITION BY judgment_id) AS mx FROM loo),
  looc AS (SELECT judgment_id, max(v) AS v FROM loo2 WHERE c = mx AND c > 0 GROUP BY judgment_id HAVING count(*) = 1)
  INSERT INTO accord_quality_jr (judgment_id, project_id, item_id, user_id, submitted_at, three_way, graded, first_pick, longer_pick, words, seconds, gold_match, consensus)
  SELECT jr.judgment_id, jr.project_id, jr.item_id, jr.user_id, jr.submitted_at, jr.three_way, jr.graded, jr.first_pick, jr.longer_pick, jr.words, jr.seconds, jr.gold_match, looc.v
  FROM jr LEFT JOIN looc ON looc.judgment_id = jr.judgment_id;

  -- Annotator pairs on the 3-way view: the items' pairs now, minus their pairs before.
  WITH src AS (
    SELECT 1 AS sg, project_id, item_id, user_id, three_way FROM accord_quality_jr WHERE three_way IS NOT NULL
    UNION ALL SELECT -1, project_id, item_id, user_id, three_way FROM quality_judgments WHERE item_id = ANY (p_items) AND three_way IS NOT NULL
  ),
  d AS (
    SELECT a.project_id, a.user_id AS ua, b.user_id AS ub, a.three_way AS va, b.three_way AS vb, sum(a.sg) AS n
    FROM src a JOIN src b ON a.sg = b.sg AND a.item_id = b.item_id AND a.user_id < b.user_id
    GROUP BY 1, 2, 3, 4, 5
  )
  INSERT INTO quality_pairs AS q (project_id, user_a, user_b, va, vb, n)
  SELECT project_id, ua, ub, va, vb, n FROM d WHERE n <> 0 ORDER BY project_id, ua, ub, va, vb
  ON CONFLICT (project_id, user_a, user_b, va, vb) DO UPDATE SET n = q.n + excluded.n;

  DELETE FROM quality_counts WHERE item_id = ANY (p_items);
  INSERT INTO quality_counts (item_id, scope, unit, value, n) SELECT item_id, scope, unit, value, n FROM accord_quality_delta WHERE sg = 1;
  DELETE FROM quality_judgments WHERE item_id = ANY (p_items);
  INSERT INTO quality_judgments SELECT * FROM accord_quality_jr;

  -- The items' own figures (joins on item id: linear in the batch).
  WITH cur AS (SELECT * FROM accord_quality_delta WHERE sg = 1 AND scope = 'pref'),
  pref AS (SELECT item_id, sign(value) AS c, sum(n) AS n FROM cur GROUP BY 1, 2),
  pm AS (SELECT item_id, sum(n) AS m, sum(n * (n - 1)) AS agree FROM pref GROUP BY 1),
  pranked AS (SELECT item_id, c, n, max(n) OVER (PARTITION BY item_id) AS mx FROM pref),
  cons AS (SELECT item_id, max(c) AS c FROM pranked WHERE n = mx GROUP BY item_id HAVING count(*) = 1),
  gsd AS (
    SELECT item_id, sqrt(greatest(sum(n * value * value) / sum(n) - (sum(n * value) / sum(n)) ^ 2, 0)) AS sd, sum(n) AS m
    FROM cur GROUP BY 1
  ),
  rk AS (SELECT * FROM accord_quality_rank_rows(p_items)),
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
  ),
  counts AS (SELECT item_id, count(*) AS n FROM accord_quality_jr GROUP BY 1),
  fig AS (
    SELECT it.item_id,
           coalesce(counts.n, 0) AS judgments,
           coalesce(CASE WHEN pm.m >= 2 THEN pm.agree::double precision / (pm.m * (pm.m - 1)) END, ragree.a) AS agreement,
           coalesce(CASE WHEN gsd.m >= 2 THEN gsd.sd END, CASE WHEN rkj.m >= 2 THEN rsd.sd END) AS spread,
           cons.c AS consensus, w.w AS kendall_w
    FROM (SELECT DISTINCT x AS item_id FROM unnest(p_items) x) it
    LEFT JOIN counts ON counts.item_id = it.item_id
    LEFT JOIN pm ON pm.item_id = it.item_id
    LEFT JOIN ragree ON ragree.item_id = it.item_id
    LEFT JOIN gsd ON gsd.item_id = it.item_id
    LEFT JOIN rkj ON rkj.item_id = it.item_id
    LEFT JOIN rsd ON rsd.item_id = it.item_id
    LEFT JOIN cons ON cons.item_id = it.item_id
    LEFT JOIN w ON w.item_id = it.item_id
  )
  UPDATE quality_items q SET judgments = fig.judgments, agreement = fig.agreement, spread = fig.spread, consensus = fig.consensus,
    kendall_w = fig.kendall_w, updated_at = clock_timestamp()
  FROM fig WHERE fig.item_id = q.item_id;

  FOR v_project IN SELECT DISTINCT i.project_id FROM items i WHERE i.id = ANY (p_items) LOOP
    PERFORM pg_notify('accord_quality', v_project.project_id::text);
  END LOOP;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION accord_quality_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM accord_quality_refresh_items((SELECT array_agg(DISTINCT n.item_id) FROM new_rows n WHERE n.status = 'submitted'));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION accord_quality_on_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM accord_quality_refresh_items((
    SELECT array_agg(DISTINCT n.item_id) FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.status = 'submitted' OR o.status = 'submitted')
      AND (n.status IS DISTINCT FROM o.status OR n.payload IS DISTINCT FROM o.payload OR n.rubric_version IS DISTINCT FROM o.rubric_version
           OR n.submitted_at IS DISTINCT FROM o.submitted_at OR n.response_order IS DISTINCT FROM o.response_order OR n.time_spent_ms IS DISTINCT FROM o.time_spent_ms)));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION accord_quality_on_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM accord_quality_refresh_items((SELECT array_agg(DISTINCT o.item_id) FROM old_rows o WHERE o.status = 'submitted'));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER accord_quality_insert AFTER INSERT ON judgments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accord_quality_on_insert();
--> statement-breakpoint
CREATE TRIGGER accord_quality_update AFTER UPDATE ON judgments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accord_quality_on_update();
--> statement-breakpoint
CREATE TRIGGER accord_quality_delete AFTER DELETE ON judgments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION accord_quality_on_delete();
--> statement-breakpoint
-- Existing judgments.
SELECT accord_quality_refresh_items(array_agg(DISTINCT item_id)) FROM judgments WHERE status = 'submitted';
