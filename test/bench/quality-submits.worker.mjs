/**
 * bench:quality's submit measurement, in a worker thread with its own connection: the bench's
 * process also runs the server, whose work on the notifications a submit sends (the member
 * evaluation) would otherwise delay this thread's timers and count as the insert's cost.
 *
 * Inserts one submitted judgment per item, in blocks with the quality trigger enabled, disabled,
 * enabled, disabled (20 each, after a warm-up insert that plans again what the ALTER TABLE
 * invalidated); before each insert the database is quiet (no other active backend, the project's
 * member queue empty), and the time until it is quiet again after an insert with the trigger is the
 * member evaluation's, reported apart.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

const { url, project, user, items } = workerData;
const client = new pg.Client({ connectionString: url });
await client.connect();
const payload = JSON.stringify({ preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 }, scores: [{ dimension: 'overall', value: 3 }], justification: 'bench submit' });

async function insert(itemId) {
  const s = performance.now();
  await client.query(
    `insert into judgments (project_id, item_id, user_id, status, source, rubric_version, payload, response_order, time_spent_ms, submitted_at)
     values ($1, $2, $3, 'submitted', 'accord', 1, $4::jsonb, '["r1","r2"]', 30000, now())`,
    [project, itemId, user, payload],
  );
  return performance.now() - s;
}
async function busy() {
  const r = await client.query(
    `select (select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active')
          + (select count(*) from quality_member_queue where project_id = $1) as n`,
    [project],
  );
  return Number(r.rows[0].n) > 0;
}
async function quiesce() {
  const s = performance.now();
  for (let quiet = 0; quiet < 3; ) {
    quiet = (await busy()) ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - s;
}

const result = { with: [], without: [], evaluation: [] };
let next = 0;
try {
  for (const trigger of [true, false, true, false]) {
    await client.query(`alter table judgments ${trigger ? 'enable' : 'disable'} trigger accord_quality_insert`);
    await quiesce();
    await insert(items[next++]);
    await quiesce();
    for (let k = 0; k < 20; k++) {
      (trigger ? result.with : result.without).push(await insert(items[next++]));
      const settled = await quiesce();
      if (trigger) result.evaluation.push(settled);
    }
  }
} finally {
  await client.query('alter table judgments enable trigger accord_quality_insert');
  await client.end();
}
parentPort.postMessage(result);
