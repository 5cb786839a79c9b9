/**
 * Structural checks an incoming update must pass before it may touch a Y.Doc ([P7]–[P9]).
 * `Y.applyUpdate` can throw half-way through a truncated update after changing the document, and
 * crafted lengths can make later merges hang, so everything is decoded and bounded first.
 */
import type * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

export interface UpdateLimits {
  /** Largest update accepted, in bytes. */
  maxUpdateBytes: number;
  /**
   * Largest clock (struct clock + length, delete-range end) accepted. Real clients count one per
   * inserted character, so 2^32 is unreachable; crafted values near 2^53 lose integer precision.
   */
  maxClock: number;
  /**
   * Deepest nesting of plain values (arrays/objects inside ContentAny, JSON, embeds, formats). Such
   * values are walked recursively everywhere (encoding, schema checks, browsers); one stored near the
   * stack limit could break the document for every later reader. Nothing in Accord nests past ~5.
   */
  maxValueDepth: number;
}

export const defaultUpdateLimits: UpdateLimits = { maxUpdateBytes: 1_000_000, maxClock: 2 ** 32, maxValueDepth: 64 };

export type UpdateCheck =
  | { ok: true }
  | { ok: false; code: 'update_too_large' | 'malformed_update'; reason: string };

export function checkUpdate(update: Uint8Array, limits: UpdateLimits = defaultUpdateLimits): UpdateCheck {
  const r = inspectUpdate(update, limits);
  return r.ok ? { ok: true } : r;
}

/** Yjs's v1 decoder, noting the byte decoder it reads so that `inspectUpdate` can see where it stopped. */
let lastRead: decoding.Decoder | null = null;
class EndNotingDecoder extends Y.UpdateDecoderV1 {
  constructor(decoder: decoding.Decoder) {
    super(decoder);
    lastRead = decoder;
  }
}

/** An update as `Y.decodeUpdate` reads it. */
export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

/** `checkUpdate`, keeping the decoded update for further checks (`appliesWhole`) instead of decoding it again. */
export function inspectUpdate(
  update: Uint8Array,
  limits: UpdateLimits = defaultUpdateLimits,
): { ok: true; decoded: DecodedUpdate } | Extract<UpdateCheck, { ok: false }> {
  if (update.byteLength > limits.maxUpdateBytes) {
    return { ok: false, code: 'update_too_large', reason: `update of ${update.byteLength} bytes exceeds ${limits.maxUpdateBytes}` };
  }
  let decoded: DecodedUpdate;
  let end: number;
  try {
    decoded = Y.decodeUpdateV2(update, EndNotingDecoder); // Y.decodeUpdate with this decoder
    end = (lastRead as decoding.Decoder | null)?.pos ?? -1;
  } catch (err) {
    return { ok: false, code: 'malformed_update', reason: `undecodable update: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    lastRead = null;
  }
  // Yjs ignores bytes after the delete set; a room may send a change on as it came ([P11]), so none are allowed.
  if (end !== update.byteLength) {
    return { ok: false, code: 'malformed_update', reason: `${update.byteLength - end} bytes after the update` };
  }
  for (const struct of decoded.structs) {
    const end = struct.id.clock + struct.length;
    if (!Number.isSafeInteger(struct.id.client) || !(end <= limits.maxClock) || struct.length < 0) {
      return { ok: false, code: 'malformed_update', reason: `struct ${struct.id.client}:${struct.id.clock} length ${struct.length} out of range` };
    }
    if (!(struct instanceof Y.Item)) continue;
    // Sub-documents would make the server instantiate documents nobody authorized.
    if (struct.content instanceof Y.ContentDoc) {
      return { ok: false, code: 'malformed_update', reason: 'sub-documents are not allowed' };
    }
    const values = contentValues(struct.content);
    if (values && exceedsDepth(values, limits.maxValueDepth)) {
      return { ok: false, code: 'malformed_update', reason: `values nested deeper than ${limits.maxValueDepth}` };
    }
    // A client can only refer to its own items created before: Yjs trusts this without checking,
    // and corrupted updates that break it throw in the middle of applyUpdate, after partly applying.
    const parentId = struct.parent instanceof Y.ID ? struct.parent : null;
    for (const ref of [struct.origin, struct.rightOrigin, parentId]) {
      if (ref && ref.client === struct.id.client && ref.clock >= struct.id.clock) {
        return { ok: false, code: 'malformed_update', reason: `struct ${struct.id.client}:${struct.id.clock} refers to its own future` };
      }
    }
  }
  for (const [client, ranges] of decoded.ds.clients) {
    if (!Number.isSafeInteger(client)) return { ok: false, code: 'malformed_update', reason: 'delete set client out of range' };
    for (const range of ranges) {
      if (!(range.clock + range.len <= limits.maxClock) || range.len < 0) {
        return { ok: false, code: 'malformed_update', reason: `delete range ${client}:${range.clock}+${range.len} out of range` };
      }
    }
  }
  return { ok: true, decoded };
}

/**
 * Whether an item placed next to (or, `asParent`, inside) `target` keeps its content in the document:
 * not when `target` was garbage-collected, nor when the type it is in (or is) was deleted; Yjs then
 * drops the new item's content, which the update as it came still carries.
 */
function integratesBeside(target: Y.Item | Y.GC, asParent: boolean): boolean {
  if (!(target instanceof Y.Item)) return false;
  if (asParent) return !target.deleted && target.content instanceof Y.ContentType;
  const parent = target.parent as { _item?: Y.Item | null } | null;
  return !parent?._item?.deleted;
}

/**
 * Whether a checked update integrates whole into the document `store` belongs to, as one client's
 * live edit does: its structs are items of one client continuing that client's clock in the store,
 * each refers only to what the store has (and keeps: not garbage-collected, not in or inside a deleted
 * type) or to an earlier item of the same update, and it deletes only what the store has or the update
 * adds; and the store has nothing pending that it could release.
 * Such an update leaves nothing pending and nothing of it is skipped, so what the document broadcasts
 * after applying it is the update itself ([P11]). Anything else (several clients, a gap, a struct the
 * document has, a garbage-collected range, pending structs) returns false.
 */
export function appliesWhole(decoded: DecodedUpdate, store: Y.Doc['store']): boolean {
  if (store.pendingStructs || store.pendingDs) return false;
  let client = -1;
  let next = 0;
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) return false;
    if (client === -1) {
      client = struct.id.client;
      next = Y.getState(store, client);
    } else if (struct.id.client !== client) return false;
    if (struct.id.clock !== next) return false;
    next += struct.length;
    const parentId = struct.parent instanceof Y.ID ? struct.parent : null;
    for (const ref of [struct.origin, struct.rightOrigin, parentId]) {
      if (!ref) continue;
      if (ref.client === client && ref.clock >= Y.getState(store, client)) {
        if (ref.clock >= struct.id.clock) return false;
        continue; // an earlier item of this update
      }
      if (!(ref.clock < Y.getState(store, ref.client)) || !integratesBeside(Y.getItem(store, ref), ref === parentId)) return false;
    }
  }
  for (const [c, ranges] of decoded.ds.clients) {
    const known = c === client ? next : Y.getState(store, c);
    for (const range of ranges) if (range.clock + range.len > known) return false;
  }
  return true;
}

function contentValues(content: Y.Item['content']): unknown[] | null {
  if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) return content.arr;
  if (content instanceof Y.ContentEmbed) return [content.embed];
  if (content instanceof Y.ContentFormat) return [content.value];
  return null;
}

/** Iterative, so the check itself cannot overflow the stack it protects. */
function exceedsDepth(values: unknown[], max: number): boolean {
  const stack: Array<[unknown, number]> = values.map((v) => [v, 1]);
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [value, depth] = next;
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
