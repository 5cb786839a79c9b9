-- The queue's functions are planned without sequential scans (issue 13, the trainer loop), as the
-- near-copy lookup is (migration 0040). Their plans are made per connection on the statistics of the
-- moment, and a project's assignments grow fastest while they are young: on tables analyzed while
-- (nearly) empty, `bench:load`'s first phase (2,000 items, 32 trainers, with no maintenance pass during
-- it) spent 4.1 ms of PostgreSQL time per `accord_queue_next` call and read 530 buffers, 1.3 ms and 265
-- buffers of it in the search for the next item, whose probe of the member's reservations read the
-- assignments whole (pg_stat_statements, track = all). Planned without sequential scans: 2.1 ms and
-- 320 buffers, the search 0.3 ms and 112 buffers, and the phase's rate 343 judgments/s against 285.
-- Every statement of these functions finds its rows through an index (an item by project and
-- position, an assignment or a judgment by item and member, a reservation by project and member),
-- and so do the triggers they fire, which run under the same setting.
ALTER FUNCTION accord_queue_next(uuid, uuid, integer, boolean, integer, boolean, boolean) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION accord_queue_reserve(uuid, uuid, integer, boolean, boolean) SET enable_seqscan = off;
