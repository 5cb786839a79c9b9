/**
 * Imports a generated 100,000-item JSONL file (streamed, never held in memory) into a fresh
 * project on PGlite and prints the time and the process's peak RSS.
 *   node --import tsx test/bench/import-100k.ts [items]
 */
import { Readable } from 'node:stream';
import type { ImportJob, Project } from '@accord/core';
import { createTestServer } from '../utils/server.ts';
import { pairItem } from '../utils/work.ts';

const N = Number(process.argv[2] ?? 100_000);
const t = await createTestServer('pglite');
try {
  const lead = await t.as('lead');
  const p = (await lead.post<Project>('/api/projects', { name: 'Bench import' })).body.id;
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  async function* gen() {
    for (let i = 0; i < N; i += 1000) yield Buffer.from(Array.from({ length: Math.min(1000, N - i) }, (_, k) => JSON.stringify(pairItem(`b-${i + k}`))).join('\n') + '\n');
  }
  const started = performance.now();
  const res = await fetch(`${t.url}/api/projects/${p}/imports?fileName=bench.jsonl`, {
    method: 'POST',
    body: Readable.toWeb(Readable.from(gen())) as ReadableStream,
    duplex: 'half',
    headers: { origin: t.url, cookie: `accord_session=${lead.cookie}` },
  } as RequestInit);
  const { id, bytesTotal } = (await res.json()) as ImportJob;
  const uploaded = performance.now();
  let job: ImportJob;
  do {
    await new Promise((r) => setTimeout(r, 200));
    job = (await lead.get<ImportJob>(`/api/projects/${p}/imports/${id}`)).body;
  } while (job.status === 'running');
  clearInterval(sampler);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log(
    `${N} items, ${(bytesTotal / 1e6).toFixed(1)} MB: ${job.status}, created ${job.created}, rejected ${job.rejected}; ` +
      `upload ${s(uploaded - started)} s, total ${s(performance.now() - started)} s; RSS ${(before / 1e6).toFixed(0)} MB before, peak ${(peak / 1e6).toFixed(0)} MB (server, PGlite and client in one process)`,
  );
} finally {
  await t.close();
}
