/**
 * Other tools' formats → Accord's import item shape, before validation with core's
 * `ImportItemSchema`: CSV rows and Label Studio tasks. Pure functions; a throw names the bad cell.
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function parseJsonCell(v: string | undefined, what: string): unknown {
  if (v === undefined || v.trim() === '') return undefined;
  try {
    return JSON.parse(v);
  } catch {
    throw new Error(`${what}: is not valid JSON`);
  }
}

/** A pairwise gold label from a spreadsheet cell: a / b / tie (also 1 / 2 / 0), or a JSON preference. */
function goldCell(v: string | undefined, ids: string[]): unknown {
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim().toLowerCase();
  const [a, b] = ids;
  if (a && b) {
    if (t === 'a' || t === '1' || t === 'left' || t === a) return { preference: { kind: 'pairwise', a, b, value: -2 } };
    if (t === 'b' || t === '2' || t === 'right' || t === b) return { preference: { kind: 'pairwise', a, b, value: 2 } };
    if (t === 'tie' || t === '0') return { preference: { kind: 'pairwise', a, b, value: 0 } };
  }
  const parsed = parseJsonCell(v, 'gold');
  return parsed && typeof parsed === 'object' && 'preference' in parsed ? parsed : { preference: parsed };
}

/**
 * CSV columns: external_id (or id), prompt, reference, gold, context (JSON), metadata (JSON), and
 * responses as response_<n> / model_<n> / kind_<n> (n = 1, 2, … or a, b, …). Other columns go to
 * metadata.
 */
export function csvToItem(rec: Record<string, string>): unknown {
  const responses: { id: string; model: string; kind?: string; content: string }[] = [];
  const meta: Record<string, unknown> = {};
  const known = new Set(['external_id', 'externalid', 'id', 'prompt', 'reference', 'gold', 'context', 'metadata']);
  for (const [k, v] of Object.entries(rec)) {
    const m = /^(?:response|answer|completion)_?([a-z0-9]+)$/i.exec(k);
    if (m) {
      if (v === '' || v === undefined) continue;
      const suffix = m[1]!.toLowerCase();
      responses.push({ id: /^\d+$/.test(suffix) ? `r${suffix}` : suffix, model: rec[`model_${m[1]}`] ?? rec[`model${m[1]}`] ?? '', content: v, ...(rec[`kind_${m[1]}`] ? { kind: rec[`kind_${m[1]}`] } : {}) });
    } else if (!known.has(k.toLowerCase()) && !/^(model|kind)_?[a-z0-9]+$/i.test(k) && v !== '') meta[k] = v;
  }
  const ids = responses.map((r) => r.id);
  const metadata = parseJsonCell(rec.metadata, 'metadata');
  return {
    externalId: rec.external_id ?? rec.externalId ?? rec.id,
    prompt: rec.prompt,
    context: parseJsonCell(rec.context, 'context'),
    responses,
    reference: rec.reference ? rec.reference : undefined,
    gold: goldCell(rec.gold, ids),
    metadata: { ...meta, ...(metadata && typeof metadata === 'object' ? metadata : {}) },
  };
}

/**
 * A Label Studio task `{ id, data: {...}, annotations?, predictions? }`. The prompt is data.prompt,
 * data.text, data.question, or data.instruction (+ data.input); responses are data.responses (strings
 * or { id?, model?, content|text }) or data.response_<x> / answer_<x> with model_<x>.
 */
export function labelStudioToItem(task: unknown): unknown {
  if (!task || typeof task !== 'object' || Array.isArray(task)) throw new Error('is not a Label Studio task object');
  const t = task as Record<string, unknown>;
  const data = (t.data && typeof t.data === 'object' ? t.data : t) as Record<string, unknown>;
  const used = new Set<string>();
  const take = (k: string) => {
    used.add(k);
    return data[k];
  };
  let prompt = str(take('prompt')) ?? str(take('text')) ?? str(take('question'));
  if (prompt === undefined) {
    const ins = str(take('instruction'));
    const input = str(take('input'));
    if (ins !== undefined) prompt = input ? `${ins}\n\n${input}` : ins;
  }
  let responses: unknown[] = [];
  const list = take('responses');
  if (Array.isArray(list)) {
    responses = list.map((r, i) =>
      typeof r === 'string' ? { id: `r${i + 1}`, model: '', content: r } : r && typeof r === 'object' ? { id: `r${i + 1}`, model: '', ...(r as object), content: (r as Record<string, unknown>).content ?? (r as Record<string, unknown>).text } : r,
    ).map((r) => {
      if (r && typeof r === 'object' && 'text' in r) {
        const { text: _text, ...rest } = r as Record<string, unknown>;
        return rest;
      }
      return r;
    });
  } else {
    for (const k of Object.keys(data)) {
      const m = /^(?:response|answer|completion|output)_?([a-z0-9]+)$/i.exec(k);
      if (!m) continue;
      const suffix = m[1]!.toLowerCase();
      used.add(k);
      const mk = Object.keys(data).find((x) => x.toLowerCase() === `model_${suffix}` || x.toLowerCase() === `model${suffix}`);
      if (mk) used.add(mk);
      responses.push({ id: /^\d+$/.test(suffix) ? `r${suffix}` : suffix, model: str(mk ? data[mk] : undefined) ?? '', content: str(data[k]) ?? data[k] });
    }
  }
  const externalId = take('externalId') ?? take('external_id') ?? t.id;
  const reference = take('reference');
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!used.has(k)) metadata[k] = v;
  if (t.id !== undefined) metadata.labelStudioId = t.id;
  return { externalId, prompt, responses, reference: reference ?? undefined, metadata };
}
