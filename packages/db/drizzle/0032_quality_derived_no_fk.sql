-- The quality figures' derived tables lose their foreign keys (issue 10's < 5 ms for a submit's
-- refresh). Their rows are written only by the refresh, from judgments whose own keys are checked,
-- yet every row a submit inserted into them (a new coincidence cell, unit size, model pair, annotator
-- pair, confusion cell or queued member) ran one key check per key: on the generated
-- 1,000,000-judgment project about 18 on projects and 13 on users per submit (pg_stat_statements,
-- track = all). Without them, one-judgment inserts took 3.04–3.18 ms against 3.44–3.99 ms with them
-- (medians of 200, alternated blocks). What the keys did on delete, the triggers below do: a deleted
-- project takes its rows in these tables with it, a deleted user their rows. Kept: the keys of the
-- tables keyed by item or judgment (their rows follow items and judgments deleted by cascade) and of
-- the flags, members and evaluations (written off the submit path). The triggers run at commit: the
-- judgments deleted with the user or project (by their keys' cascade) are subtracted from these
-- tables by the refresh, and a trigger run before that would leave the subtractions behind as rows.
ALTER TABLE "quality_annotators" DROP CONSTRAINT "quality_annotators_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_annotators" DROP CONSTRAINT "quality_annotators_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_coincidences" DROP CONSTRAINT "quality_coincidences_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_confusion" DROP CONSTRAINT "quality_confusion_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_confusion" DROP CONSTRAINT "quality_confusion_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_member_queue" DROP CONSTRAINT "quality_member_queue_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_model_pairs" DROP CONSTRAINT "quality_model_pairs_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_pairs" DROP CONSTRAINT "quality_pairs_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_pairs" DROP CONSTRAINT "quality_pairs_user_a_users_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_pairs" DROP CONSTRAINT "quality_pairs_user_b_users_id_fk";
--> statement-breakpoint
ALTER TABLE "quality_units" DROP CONSTRAINT "quality_units_project_id_projects_id_fk";

--> statement-breakpoint
CREATE FUNCTION accord_quality_projects_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM quality_coincidences q WHERE q.project_id = OLD.id;
  DELETE FROM quality_units q WHERE q.project_id = OLD.id;
  DELETE FROM quality_model_pairs q WHERE q.project_id = OLD.id;
  DELETE FROM quality_pairs q WHERE q.project_id = OLD.id;
  DELETE FROM quality_annotators q WHERE q.project_id = OLD.id;
  DELETE FROM quality_confusion q WHERE q.project_id = OLD.id;
  DELETE FROM quality_member_queue q WHERE q.project_id = OLD.id;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER accord_quality_projects_deleted AFTER DELETE ON projects DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION accord_quality_projects_deleted();
--> statement-breakpoint
CREATE FUNCTION accord_quality_users_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM quality_pairs q WHERE q.user_a = OLD.id OR q.user_b = OLD.id;
  DELETE FROM quality_annotators q WHERE q.user_id = OLD.id;
  DELETE FROM quality_confusion q WHERE q.user_id = OLD.id;
  DELETE FROM quality_member_queue q WHERE q.user_id = OLD.id;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER accord_quality_users_deleted AFTER DELETE ON users DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION accord_quality_users_deleted();
