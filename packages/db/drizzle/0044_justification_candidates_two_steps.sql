-- The near-copy lookup (migration 0040) still kept a bad plan: planned without sequential scans but
-- on the statistics of nearly empty justification tables, and kept as they grew, its one query joined
-- the checks to the band probes by walking the checks whole, about one page per check (5,018 pages
-- on 5,000 checks, for a lookup whose keys matched no band; CI's run of the justification test saw
-- 715). No plan of the single query could be trusted to start from the bands, so the lookup now takes
-- two steps: the band probes (a project's band key, an index lookup per key) collect the candidate
-- judgments, then their checks are fetched by primary key, `= ANY` of that array, which has no other
-- plan without sequential scans. Same arguments, same rows.
CREATE OR REPLACE FUNCTION accord_justification_candidates(p_keys integer[], p_project uuid, p_per_band integer, p_max integer, p_except uuid)
RETURNS SETOF integer[] LANGUAGE plpgsql STABLE SET enable_seqscan = off AS $fn$
DECLARE
  v_ids uuid[];
BEGIN
  v_ids := ARRAY(
    SELECT DISTINCT b.judgment_id FROM unnest(p_keys) k
    CROSS JOIN LATERAL (
      SELECT b.judgment_id FROM justification_bands b WHERE b.project_id = p_project AND b.band_key = k LIMIT p_per_band
    ) b
    LIMIT p_max
  );
  RETURN QUERY
    SELECT c.signature FROM justification_checks c
    WHERE c.judgment_id = ANY (v_ids) AND c.signature IS NOT NULL AND c.judgment_id <> p_except;
END
$fn$;
