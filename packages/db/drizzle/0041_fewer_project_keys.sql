-- Fewer foreign-key checks on a project's row per submit (issue 13, the trainer loop). A submit wrote
-- 16 justification band rows, a justification check and a consensus queue entry, each with a key to
-- the project, and the check one to the user: about 20 key checks of the project's row per judgment
-- (pg_stat_statements, track = all, `bench:load`'s paced phase). Each check locks the row FOR KEY
-- SHARE; with every trainer of the project storing at once, a lock taken while others hold theirs
-- makes a new MultiXact of all the lockers, written to the WAL and to pg_multixact, under an exclusive
-- lock of the project row's page. These rows need no key of their own: a justification check follows
-- its judgment (its key to the judgment cascades, and the judgment's to the project and the user), a
-- consensus queue entry its item (likewise); the bands are deleted with their project by the trigger
-- below, at commit as the quality tables' rows are (migration 0032). A band of a deleted judgment stays,
-- as before: a lookup joins the checks, so it matches nothing. Kept: the keys of judgments and
-- assignments, two project checks per judgment.
ALTER TABLE "justification_bands" DROP CONSTRAINT "justification_bands_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "justification_checks" DROP CONSTRAINT "justification_checks_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "justification_checks" DROP CONSTRAINT "justification_checks_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "consensus_pending" DROP CONSTRAINT "consensus_pending_project_id_projects_id_fk";
--> statement-breakpoint
CREATE FUNCTION accord_justification_projects_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM justification_bands b WHERE b.project_id = OLD.id;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER accord_justification_projects_deleted AFTER DELETE ON projects DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION accord_justification_projects_deleted();
