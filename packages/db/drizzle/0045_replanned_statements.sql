-- Three statements of the trainer loop were planned again at every call (issue 13). pg_stat_statements
-- with track_planning, over `bench:load`'s paced phase (32 trainers at half the ceiling, about 1,900
-- judgments): plans = calls for each, and their planning took longer than their execution.
-- 1. accord_queue_k, a SQL function: PostgreSQL 15 keeps a SQL function's plan only for the query that
--    called it, so each reservation and submission planned its one-row lookup again (0.07 ms of
--    planning, 0.01 of execution, about 1.2 calls a judgment). In PL/pgSQL the plan is kept by the
--    connection. Same lookup, same result (NULL for a project that is gone).
-- 2. accord_queue_apply's lock of the members who saw an item (when the item opens or closes, about
--    four judgments in ten): with the arguments' values it estimated cheaper than a generic plan, so the
--    plan cache chose a new custom plan each time, 0.23 ms of planning for 0.07 of execution. The
--    generic plans of the function's statements are the custom ones (the members' rows by project and
--    user, the item's assignments and imported judgments by item): EXPLAIN on a `bench:load` database.
-- 3. accord_justification_candidates's fetch of the candidates' checks, `= ANY` of an array whose
--    length the custom plan counted: 0.1 ms of planning for 0.008 of execution, one call a submission.
--    Its only plan without sequential scans is the primary key's (migration 0044), generic or not.
CREATE OR REPLACE FUNCTION accord_queue_k(p_project uuid) RETURNS integer LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT coalesce((settings->>'overlap')::int, 3) FROM projects WHERE id = p_project);
END
$$;
--> statement-breakpoint
ALTER FUNCTION accord_queue_apply(uuid, uuid, integer, uuid, integer, integer, integer) SET plan_cache_mode = force_generic_plan;
--> statement-breakpoint
ALTER FUNCTION accord_justification_candidates(integer[], uuid, integer, integer, uuid) SET plan_cache_mode = force_generic_plan;
