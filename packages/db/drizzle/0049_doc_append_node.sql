-- A live document's append notice names the node that appended (p_node, the notice's `node`), so
-- that node can skip its own notice: it holds those entries already, and the append's result gives
-- it their sequence numbers. Before, its own notice often arrived before that result, and the node
-- decoded, checked and applied its own entries a second time.
-- p_node defaults to null (`"node": null`, a notice every node applies): a node of the previous
-- version, calling the four-argument form during a rolling upgrade, still resolves to this function.
-- Otherwise this is migration 0036's function unchanged.
DROP FUNCTION IF EXISTS accord_doc_append(text, text[], text, boolean);
--> statement-breakpoint
CREATE FUNCTION accord_doc_append(p_doc text, p_updates text[], p_channel text, p_inline boolean, p_node text DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
  v_last bigint;
  v_n int := coalesce(cardinality(p_updates), 0);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(p_doc));
  SELECT greatest(coalesce((SELECT max(u.seq) FROM doc_updates u WHERE u.doc = p_doc), 0), coalesce((SELECT s.seq FROM doc_snapshots s WHERE s.doc = p_doc), 0)) INTO v_last;
  INSERT INTO doc_updates (doc, seq, data)
    SELECT p_doc, v_last + x.ord, decode(x.b64, 'base64') FROM unnest(p_updates) WITH ORDINALITY AS x(b64, ord);
  IF p_channel IS NOT NULL THEN
    PERFORM pg_notify(p_channel, CASE
      WHEN p_inline THEN json_build_object('doc', p_doc, 'maxSeq', v_last + v_n, 'n', v_n, 'node', p_node, 'u', to_json(p_updates))
      ELSE json_build_object('doc', p_doc, 'maxSeq', v_last + v_n, 'n', v_n, 'node', p_node) END::text);
  END IF;
  RETURN v_last + v_n;
END
$fn$;
