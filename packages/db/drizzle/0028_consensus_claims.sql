-- Consensus is computed without holding locks that submits need (issue 13: the trainer loop's p99).
-- The consensus service claimed queued items by deleting their rows in the transaction that computed
-- them, and held those row locks until it committed, including while the server's event loop was busy.
-- A submit of one of those items then waited in its `INSERT … ON CONFLICT` for the whole computation:
-- sampled during `npm run bench:load`'s paced run, two thirds of the lock waits of the statement that
-- stores judgments were on a consensus transaction.
-- Now a claim is a statement of its own (`claim`, `claimed_until`), the computation deletes only the rows
-- still carrying its claim, at its end, and a judgment stored meanwhile clears the claim, so that the
-- item is computed again with it.
ALTER TABLE "consensus_pending" ADD COLUMN "claim" uuid;--> statement-breakpoint
ALTER TABLE "consensus_pending" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
CREATE OR REPLACE FUNCTION accord_consensus_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'submitted' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.payload IS DISTINCT FROM NEW.payload) THEN
    -- A claimed item is queued again: the computation that holds it may not see this judgment.
    INSERT INTO consensus_pending AS p (item_id, project_id) VALUES (NEW.item_id, NEW.project_id)
    ON CONFLICT (item_id) DO UPDATE SET claim = NULL, claimed_until = NULL WHERE p.claim IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;
