CREATE TABLE "queue_members" (
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"seen_open" integer DEFAULT 0 NOT NULL,
	"seen_gold" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "queue_members_project_id_user_id_pk" PRIMARY KEY("project_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "queue_projects" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"open_items" integer DEFAULT 0 NOT NULL,
	"gold_items" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "occupied" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "open" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "queue_members" ADD CONSTRAINT "queue_members_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "queue_members" ADD CONSTRAINT "queue_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "queue_projects" ADD CONSTRAINT "queue_projects_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "items_open_idx" ON "items" USING btree ("project_id","position") WHERE "items"."open";--> statement-breakpoint
CREATE INDEX "assignments_expiry_idx" ON "assignments" USING btree ("project_id","expires_at") WHERE "assignments"."status" = 'reserved';--> statement-breakpoint
-- ---------------------------------------------------------------- queue counters, kept by triggers
-- Every change of an item's occupancy (reservation, submission, expiry, release, imported
-- judgment, COPY included) updates the item's `occupied`/`open`, the project's open/gold counts and
-- the members' counters in the same transaction, so `queue/next` reads counters instead of counting.
-- Member counter rows are locked in user-id order in one statement per change, so concurrent changes
-- do not deadlock on them.
CREATE FUNCTION accord_queue_k(p_project uuid) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT coalesce((settings->>'overlap')::int, 3) FROM projects WHERE id = p_project
$$;
--> statement-breakpoint
-- One change to one item: occupancy delta, and one member `p_user` becoming (+1) or ceasing to be
-- (-1) someone who has seen the item, with their reserved/done deltas.
CREATE FUNCTION accord_queue_apply(p_project uuid, p_item uuid, p_delta integer, p_user uuid, p_seen integer, p_reserved integer, p_done integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_gold boolean;
  v_was boolean;
  v_now boolean;
  v_occ integer;
  v_change integer := 0;
BEGIN
  IF p_delta = 0 AND p_seen = 0 THEN
    -- A submission: the member's own counters only (no item lock).
    UPDATE queue_members SET reserved = reserved + p_reserved, done = done + p_done WHERE project_id = p_project AND user_id = p_user;
    RETURN;
  END IF;
  IF p_seen = 1 THEN
    INSERT INTO queue_members (project_id, user_id) VALUES (p_project, p_user) ON CONFLICT DO NOTHING;
  END IF;
  -- Gold items take no slots: no item lock, so trainers taking the same gold item do not queue.
  SELECT is_gold INTO v_gold FROM items WHERE id = p_item;
  IF v_gold THEN
    UPDATE queue_members SET reserved = reserved + p_reserved, done = done + p_done, seen_gold = seen_gold + p_seen
      WHERE project_id = p_project AND user_id = p_user;
    RETURN;
  END IF;
  SELECT is_gold, open, occupied INTO v_gold, v_was, v_occ FROM items WHERE id = p_item FOR UPDATE;
  IF NOT FOUND THEN
    -- The item is being deleted with its project: the member's own counters only.
    UPDATE queue_members SET reserved = reserved + p_reserved, done = done + p_done WHERE project_id = p_project AND user_id = p_user;
    RETURN;
  END IF;
  v_now := NOT v_gold AND v_occ + p_delta < accord_queue_k(p_project);
  UPDATE items SET occupied = v_occ + p_delta, open = v_now WHERE id = p_item;
  IF v_now <> v_was THEN
    v_change := CASE WHEN v_now THEN 1 ELSE -1 END;
    UPDATE queue_projects SET open_items = open_items + v_change WHERE project_id = p_project;
    PERFORM 1 FROM queue_members m
      WHERE m.project_id = p_project
        AND (m.user_id = p_user OR m.user_id IN (SELECT a.user_id FROM assignments a WHERE a.item_id = p_item UNION SELECT j.user_id FROM judgments j WHERE j.item_id = p_item AND j.source = 'import'))
      ORDER BY m.user_id FOR UPDATE;
    -- Everyone who has seen the item (the member of this change is handled below when they start or stop seeing it).
    UPDATE queue_members m SET seen_open = seen_open + v_change
      WHERE m.project_id = p_project
        AND (p_seen = 0 OR m.user_id <> p_user)
        AND m.user_id IN (SELECT a.user_id FROM assignments a WHERE a.item_id = p_item UNION SELECT j.user_id FROM judgments j WHERE j.item_id = p_item AND j.source = 'import');
  END IF;
  UPDATE queue_members SET
      reserved = reserved + p_reserved,
      done = done + p_done,
      seen_open = seen_open + CASE WHEN v_gold THEN 0 WHEN p_seen = 1 THEN v_now::int WHEN p_seen = -1 THEN -(v_was::int) ELSE 0 END,
      seen_gold = seen_gold + CASE WHEN v_gold THEN p_seen ELSE 0 END
    WHERE project_id = p_project AND user_id = p_user;
END
$$;
--> statement-breakpoint
CREATE FUNCTION accord_queue_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_imported boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    v_imported := EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = NEW.item_id AND j.user_id = NEW.user_id AND j.source = 'import');
    PERFORM accord_queue_apply(NEW.project_id, NEW.item_id, (NEW.status IN ('reserved', 'submitted'))::int, NEW.user_id,
      CASE WHEN v_imported THEN 0 ELSE 1 END, (NEW.status = 'reserved')::int, (NEW.status = 'submitted')::int);
    RETURN NULL;
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD.status IS DISTINCT FROM NEW.status THEN
      PERFORM accord_queue_apply(NEW.project_id, NEW.item_id,
        (NEW.status IN ('reserved', 'submitted'))::int - (OLD.status IN ('reserved', 'submitted'))::int, NEW.user_id, 0,
        (NEW.status = 'reserved')::int - (OLD.status = 'reserved')::int, (NEW.status = 'submitted')::int - (OLD.status = 'submitted')::int);
    END IF;
    RETURN NULL;
  ELSE
    v_imported := EXISTS (SELECT 1 FROM judgments j WHERE j.item_id = OLD.item_id AND j.user_id = OLD.user_id AND j.source = 'import');
    PERFORM accord_queue_apply(OLD.project_id, OLD.item_id, -(OLD.status IN ('reserved', 'submitted'))::int, OLD.user_id,
      CASE WHEN v_imported THEN 0 ELSE -1 END, -(OLD.status = 'reserved')::int, -(OLD.status = 'submitted')::int);
    RETURN NULL;
  END IF;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_assignment AFTER INSERT OR UPDATE OF status OR DELETE ON assignments FOR EACH ROW EXECUTE FUNCTION accord_queue_assignment();
--> statement-breakpoint
CREATE FUNCTION accord_queue_judgment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_assigned boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.source = 'import' THEN
      v_assigned := EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = NEW.item_id AND a.user_id = NEW.user_id);
      PERFORM accord_queue_apply(NEW.project_id, NEW.item_id, 1, NEW.user_id, CASE WHEN v_assigned THEN 0 ELSE 1 END, 0, 0);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF OLD.source = 'import' THEN
      v_assigned := EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = OLD.item_id AND a.user_id = OLD.user_id);
      PERFORM accord_queue_apply(OLD.project_id, OLD.item_id, -1, OLD.user_id, CASE WHEN v_assigned THEN 0 ELSE -1 END, 0, 0);
    END IF;
  ELSIF OLD.source IS DISTINCT FROM NEW.source THEN
    -- An imported judgment turned into Accord's own (or back): it stops (starts) occupying a slot.
    PERFORM accord_queue_apply(NEW.project_id, NEW.item_id, CASE WHEN NEW.source = 'import' THEN 1 ELSE -1 END, NEW.user_id, 0, 0, 0);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_judgment AFTER INSERT OR UPDATE OF source OR DELETE ON judgments FOR EACH ROW EXECUTE FUNCTION accord_queue_judgment();
--> statement-breakpoint
-- New items (imports, COPY): open unless gold; project counters once per statement. An item turned
-- ordinary again gets its occupancy from its rows (gold items do not keep it).
CREATE FUNCTION accord_queue_item_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.occupied := CASE WHEN NEW.is_gold THEN 0 ELSE
        (SELECT count(*) FROM assignments a WHERE a.item_id = NEW.id AND a.status IN ('reserved', 'submitted'))
      + (SELECT count(*) FROM judgments j WHERE j.item_id = NEW.id AND j.source = 'import') END;
  END IF;
  NEW.open := NOT NEW.is_gold AND NEW.occupied < accord_queue_k(NEW.project_id);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_item_insert BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION accord_queue_item_open();
--> statement-breakpoint
CREATE TRIGGER accord_queue_item_gold BEFORE UPDATE OF is_gold ON items FOR EACH ROW WHEN (OLD.is_gold IS DISTINCT FROM NEW.is_gold) EXECUTE FUNCTION accord_queue_item_open();
--> statement-breakpoint
CREATE FUNCTION accord_queue_items_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO queue_projects AS q (project_id, open_items, gold_items)
    SELECT project_id, count(*) FILTER (WHERE open), count(*) FILTER (WHERE is_gold) FROM new_items GROUP BY project_id
    ON CONFLICT (project_id) DO UPDATE SET open_items = q.open_items + excluded.open_items, gold_items = q.gold_items + excluded.gold_items;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_items_added AFTER INSERT ON items REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION accord_queue_items_added();
--> statement-breakpoint
CREATE FUNCTION accord_queue_items_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE queue_projects q SET open_items = q.open_items - d.open_items, gold_items = q.gold_items - d.gold_items
    FROM (SELECT project_id, count(*) FILTER (WHERE open) AS open_items, count(*) FILTER (WHERE is_gold) AS gold_items FROM old_items GROUP BY project_id) d
    WHERE q.project_id = d.project_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_items_removed AFTER DELETE ON items REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION accord_queue_items_removed();
--> statement-breakpoint
-- An item turned gold or ordinary by a re-import: project counters and everyone who has seen it.
CREATE FUNCTION accord_queue_item_regold() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_open integer := NEW.open::int - OLD.open::int;
  v_gold integer := NEW.is_gold::int - OLD.is_gold::int;
BEGIN
  UPDATE queue_projects SET open_items = open_items + v_open, gold_items = gold_items + v_gold WHERE project_id = NEW.project_id;
  PERFORM 1 FROM queue_members m
    WHERE m.project_id = NEW.project_id
      AND m.user_id IN (SELECT a.user_id FROM assignments a WHERE a.item_id = NEW.id UNION SELECT j.user_id FROM judgments j WHERE j.item_id = NEW.id AND j.source = 'import')
    ORDER BY m.user_id FOR UPDATE;
  UPDATE queue_members m SET seen_open = seen_open + v_open, seen_gold = seen_gold + v_gold
    WHERE m.project_id = NEW.project_id
      AND m.user_id IN (SELECT a.user_id FROM assignments a WHERE a.item_id = NEW.id UNION SELECT j.user_id FROM judgments j WHERE j.item_id = NEW.id AND j.source = 'import');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_item_regold AFTER UPDATE OF is_gold ON items FOR EACH ROW WHEN (OLD.is_gold IS DISTINCT FROM NEW.is_gold) EXECUTE FUNCTION accord_queue_item_regold();
--> statement-breakpoint
-- Recomputes a project's open flags and counters from the rows (k changed, or back-fill).
CREATE FUNCTION accord_queue_recount(p_project uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_k integer := accord_queue_k(p_project);
BEGIN
  UPDATE items i SET occupied = o.n, open = NOT i.is_gold AND o.n < v_k
    FROM (SELECT it.id, CASE WHEN it.is_gold THEN 0 ELSE (SELECT count(*) FROM assignments a WHERE a.item_id = it.id AND a.status IN ('reserved', 'submitted'))
                       + (SELECT count(*) FROM judgments j WHERE j.item_id = it.id AND j.source = 'import') END AS n
          FROM items it WHERE it.project_id = p_project) o
    WHERE i.id = o.id AND (i.occupied <> o.n OR i.open <> (NOT i.is_gold AND o.n < v_k));
  INSERT INTO queue_projects AS q (project_id, open_items, gold_items)
    SELECT p_project, count(*) FILTER (WHERE open), count(*) FILTER (WHERE is_gold) FROM items WHERE project_id = p_project
    ON CONFLICT (project_id) DO UPDATE SET open_items = excluded.open_items, gold_items = excluded.gold_items;
  INSERT INTO queue_members AS q (project_id, user_id, done, reserved, seen_open, seen_gold)
    SELECT p_project, s.user_id,
      (SELECT count(*) FROM assignments a WHERE a.project_id = p_project AND a.user_id = s.user_id AND a.status = 'submitted'),
      (SELECT count(*) FROM assignments a WHERE a.project_id = p_project AND a.user_id = s.user_id AND a.status = 'reserved'),
      count(*) FILTER (WHERE i.open), count(*) FILTER (WHERE i.is_gold)
    FROM (SELECT a.user_id, a.item_id FROM assignments a WHERE a.project_id = p_project
          UNION SELECT j.user_id, j.item_id FROM judgments j WHERE j.project_id = p_project AND j.source = 'import') s
    JOIN items i ON i.id = s.item_id
    GROUP BY s.user_id
    ON CONFLICT (project_id, user_id) DO UPDATE SET done = excluded.done, reserved = excluded.reserved, seen_open = excluded.seen_open, seen_gold = excluded.seen_gold;
END
$$;
--> statement-breakpoint
CREATE FUNCTION accord_queue_k_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM accord_queue_recount(NEW.id);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER accord_queue_k_changed AFTER UPDATE OF settings ON projects FOR EACH ROW
  WHEN (coalesce(OLD.settings->>'overlap', '3') IS DISTINCT FROM coalesce(NEW.settings->>'overlap', '3'))
  EXECUTE FUNCTION accord_queue_k_changed();
--> statement-breakpoint
-- Back-fill: every existing project's counters from its rows.
SELECT accord_queue_recount(id) FROM projects;
