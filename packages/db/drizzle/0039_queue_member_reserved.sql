-- accord_queue_next reads the member's reservations on every call (their live task, and the expired
-- ones it ends): `status = 'reserved'` of (project, user). The only index was (project_id, user_id),
-- so each call read every assignment the member ever had in the project, submitted ones included:
-- a cost that grew with the trainer's history (about 0.28 ms a call after a few hundred judgments in
-- `bench:load`). The partial index holds only rows still reserved (one or none per member), in the
-- order the loop reads them.
CREATE INDEX "assignments_member_reserved_idx" ON "assignments" USING btree ("project_id","user_id","reserved_at") WHERE "assignments"."status" = 'reserved';