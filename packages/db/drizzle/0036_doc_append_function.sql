-- A live document's append in one statement: one round trip instead of seven (begin, lock, snapshot
-- and log tops, insert, notify, commit). The per-document advisory lock is the one load, readSince
-- and compact take (hashtext of the name). In a volatile function each statement takes its own
-- snapshot, so the tops read after the lock include every append committed before it.
-- p_updates: the entries in base64, in order; p_channel: where to send the notice (null: none);
-- p_inline: the notice carries the entries (they fit in a NOTIFY).
CREATE FUNCTION accord_doc_append(p_doc text, p_updates text[], p_channel text, p_inline boolean) RETURNS bigint LANGUAGE plpgsql AS $fn$
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
      WHEN p_inline THEN json_build_object('doc', p_doc, 'maxSeq', v_last + v_n, 'n', v_n, 'u', to_json(p_updates))
      ELSE json_build_object('doc', p_doc, 'maxSeq', v_last + v_n, 'n', v_n) END::text);
  END IF;
  RETURN v_last + v_n;
END
$fn$;
