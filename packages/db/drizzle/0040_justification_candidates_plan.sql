-- The near-copy lookup of every submit (justifications.repo `candidates`) was a named statement,
-- planned once per connection. A connection that planned it while the justification tables were
-- empty or nearly so (a new database, or the statistics ANALYZE took of them then) kept a plan that
-- reads both tables whole, and with autovacuum off (or before its next ANALYZE) kept it as they grew:
-- `bench:load`'s first phase, on a database analyzed when they were empty, spent 13.5 ms per lookup
-- on about 4,000 judgments, growing with them (pg_stat_statements), against 0.19 ms with a plan made
-- on their real size; a plan made on empty statistics read 171,000 band rows for one lookup (253 ms).
-- The lookup is now this function, whose plans are made without sequential scans: the two probes it
-- needs (a project's band key, a judgment's check) are index lookups whatever the statistics say.
-- The query is the statement's, unchanged.
CREATE FUNCTION accord_justification_candidates(p_keys integer[], p_project uuid, p_per_band integer, p_max integer, p_except uuid)
RETURNS SETOF integer[] LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $fn$
BEGIN
  RETURN QUERY
    SELECT c.signature FROM justification_checks c
    WHERE c.judgment_id IN (
      SELECT DISTINCT b.judgment_id FROM unnest(p_keys) k
      CROSS JOIN LATERAL (
        SELECT b.judgment_id FROM justification_bands b WHERE b.project_id = p_project AND b.band_key = k LIMIT p_per_band
      ) b
      LIMIT p_max
    ) AND c.signature IS NOT NULL AND c.judgment_id <> p_except;
END
$fn$;
