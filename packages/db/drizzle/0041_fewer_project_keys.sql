-- Fewer foreign-key checks per submit (issue 13, the trainer loop). A submit wrote 16 justification
-- band rows, a justification check and a consensus queue entry, each with a key to the project, and the
-- check one to the user: about 20 key checks of the project's row per judgment, each a query that locks
-- the row FOR KEY SHARE (pg_stat_statements, track = all, `bench:load`'s paced phase: 20.6 per judgment
-- before, 3.1 after; of a judgment's 4.8 ms of PostgreSQL time, key checks took 0.24 ms, 0.15 ms of it
-- the project's). These rows need no key of their own: a justification check follows its judgment (its
-- key to the judgment cascades, and the judgment's to the project and the user), a consensus queue entry
-- its item (likewise); the bands are deleted with their project by the trigger below, at commit as the
-- quality tables' rows are (migration 0032). A band of a deleted judgment stays, as before: a lookup
-- joins the checks, so it matches nothing. Kept: the keys of judgments and assignments.
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
