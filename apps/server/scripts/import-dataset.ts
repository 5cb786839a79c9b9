/**
 * Real datasets → Accord import files, and (optionally) into a running Accord.
 *
 *   node --import tsx apps/server/scripts/import-dataset.ts convert [--data ../shared/data] [--out test/fixtures/datasets]
 *   node --import tsx apps/server/scripts/import-dataset.ts upload --dataset llmfao|pandalm --project <id> \
 *        [--url http://localhost:3000] --token <API token> [--files test/fixtures/datasets]
 *
 * `convert` reads LLMFAO (pairs-crowd.jsonl, crowd-comparisons.csv, models.jsonl) and the PandaLM
 * test set (testset-v1.json) and writes gzipped JSONL: <dataset>-items.jsonl.gz and
 * <dataset>-judgments.jsonl.gz. `upload` sends both to a project (items first) with an API token
 * (Account page) through `@accord/client`, and prints each job's outcome.
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { ApiError, createClient } from '@accord/client';

const REPO = resolve(import.meta.dirname, '../../..');
const { positionals, values: args } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: resolve(REPO, '../shared/data') },
    out: { type: 'string', default: resolve(REPO, 'test/fixtures/datasets') },
    files: { type: 'string', default: resolve(REPO, 'test/fixtures/datasets') },
    dataset: { type: 'string' },
    project: { type: 'string' },
    url: { type: 'string', default: 'http://localhost:3000' },
    token: { type: 'string' },
  },
});

const jsonl = (rows: unknown[]) => gzipSync(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', { level: 9 });

async function readJsonl<T>(file: string): Promise<T[]> {
  const out: T[] = [];
  for await (const line of createInterface({ input: createReadStream(file) })) if (line.trim()) out.push(JSON.parse(line) as T);
  return out;
}

/** A 3-way vote carries no strength: "better" is ±1, a tie 0 (a = first response, b = second). */
const vote = (a: string, b: string, value: -1 | 0 | 1) => ({ preference: { kind: 'pairwise', a, b, value } });

async function convertLlmfao(dir: string) {
  const models = new Map((await readJsonl<{ id: number; name: string }>(`${dir}/models.jsonl`)).map((m) => [m.id, m.name]));
  const pairs = await readJsonl<{ id: number; prompt: number; text: string; type: string; slug: string; model_x: number; result_x: string; model_y: number; result_y: string }>(
    `${dir}/pairs-crowd.jsonl`,
  );
  const items = pairs.map((p) => ({
    externalId: `llmfao-${p.id}`,
    prompt: p.text,
    responses: [
      { id: 'x', model: models.get(p.model_x) ?? String(p.model_x), kind: 'markdown', content: p.result_x },
      { id: 'y', model: models.get(p.model_y) ?? String(p.model_y), kind: 'markdown', content: p.result_y },
    ],
    metadata: { source: 'LLMFAO', promptId: p.prompt, type: p.type, slug: p.slug },
  }));
  const [header, ...rows] = readFileSync(`${dir}/crowd-comparisons.csv`, 'utf8').trim().split('\n');
  if (header !== 'id,prompt,model_x,model_y,worker,winner,left,right') throw new Error(`unexpected LLMFAO header: ${header}`);
  const judgments = rows.map((r) => {
    // Model names may contain commas, but the first six columns never do.
    const [id, , , , worker, winner] = r.split(',');
    const value = winner === 'left' ? -1 : winner === 'right' ? 1 : 0;
    return { externalId: `llmfao-${id}`, annotator: `llmfao-worker-${worker}`, judgment: vote('x', 'y', value) };
  });
  return { items, judgments };
}

function convertPandalm(dir: string) {
  const data = JSON.parse(readFileSync(`${dir}/testset-v1.json`, 'utf8')) as Record<string, string | number>[];
  const items = data.map((d) => {
    const [m1, m2] = String(d.cmp_key).split('_');
    return {
      externalId: `pandalm-${d.idx}`,
      prompt: d.input ? `${d.instruction}\n\n${d.input}` : String(d.instruction),
      responses: [
        { id: 'r1', model: m1 ?? '', kind: 'markdown', content: String(d.response1) },
        { id: 'r2', model: m2 ?? '', kind: 'markdown', content: String(d.response2) },
      ],
      metadata: { source: 'PandaLM test set v1', idx: d.idx, motivation_app: d.motivation_app, cmp_key: d.cmp_key },
    };
  });
  const judgments: { externalId: string; annotator: string; annotatorKind?: 'model'; judgment: ReturnType<typeof vote> & { justification?: string } }[] = data.flatMap((d) =>
    (['annotator1', 'annotator2', 'annotator3'] as const).map((a) => ({
      externalId: `pandalm-${d.idx}`,
      annotator: `pandalm-${a}`,
      judgment: vote('r1', 'r2', d[a] === 1 ? -1 : d[a] === 2 ? 1 : 0),
    })),
  );
  // The two model judges shipped with the test set, marked as model annotators (their reason is the justification).
  // GPT-3.5 answered "garbage" for 25 items: no verdict, so no judgment.
  const verdict = (v: unknown): -1 | 0 | 1 | null => (v === 1 || v === '1' ? -1 : v === 2 || v === '2' ? 1 : v === 0 || v === '0' || v === 'Tie' ? 0 : null);
  const judges = [
    { file: 'gpt-3.5-turbo-testset-v1.json', annotator: 'pandalm-judge-gpt-3.5-turbo', result: 'gpt_result', reason: 'gpt_reason' },
    { file: 'pandalm-7b-testset-v1.json', annotator: 'pandalm-judge-pandalm-7b', result: 'pandalm_result', reason: 'pandalm_reason' },
  ] as const;
  for (const j of judges) {
    const rows = JSON.parse(readFileSync(`${dir}/${j.file}`, 'utf8')) as Record<string, unknown>[];
    for (const r of rows) {
      const v = verdict(r[j.result]);
      if (v === null) continue;
      judgments.push({
        externalId: `pandalm-${String(r.idx)}`,
        annotator: j.annotator,
        annotatorKind: 'model',
        judgment: { ...vote('r1', 'r2', v), justification: String(r[j.reason] ?? '') },
      });
    }
  }
  return { items, judgments };
}

async function upload(dataset: string) {
  if (!args.project || !args.token) throw new Error('upload needs --project <id> and --token <a personal API token from the Account page>');
  const accord = createClient({ baseUrl: args.url, token: args.token });
  const params = { projectId: args.project };
  for (const kind of ['items', 'judgments'] as const) {
    const fileName = `${dataset}-${kind}.jsonl`;
    const body = createReadStream(`${args.files}/${fileName}.gz`).pipe(createGunzip());
    let job = await accord.imports.start({ params, query: { kind, format: 'jsonl', fileName }, body });
    while (job.status === 'running') {
      await new Promise((r) => setTimeout(r, 500));
      job = await accord.imports.get({ params: { ...params, jobId: job.id } });
    }
    console.log(`${dataset} ${kind}: ${job.status}, created ${job.created}, updated ${job.updated}, unchanged ${job.unchanged}, rejected ${job.rejected}${job.message ? ` — ${job.message}` : ''}`);
  }
}

const cmd = positionals[0];
if (cmd === 'convert') {
  const sets = { llmfao: await convertLlmfao(`${args.data}/llmfao`), pandalm: convertPandalm(`${args.data}/pandalm-testset`) };
  for (const [name, { items, judgments }] of Object.entries(sets)) {
    writeFileSync(`${args.out}/${name}-items.jsonl.gz`, jsonl(items));
    writeFileSync(`${args.out}/${name}-judgments.jsonl.gz`, jsonl(judgments));
    console.log(`${name}: ${items.length} items, ${judgments.length} judgments → ${args.out}`);
  }
} else if (cmd === 'upload' && (args.dataset === 'llmfao' || args.dataset === 'pandalm')) {
  try {
    await upload(args.dataset);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    console.error(`import refused: ${e.status} ${e.code}: ${e.message}${e.details.length ? ` ${JSON.stringify(e.details)}` : ''}`);
    process.exit(1);
  }
} else {
  console.error('usage: import-dataset.ts convert [--data DIR] [--out DIR] | upload --dataset llmfao|pandalm --project ID --token TOKEN [--url URL]');
  process.exit(2);
}
