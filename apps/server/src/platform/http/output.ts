/**
 * Responses leave through their contract's schema, which strips every field it does not list (so
 * nothing a handler happens to hold — a password hash, a gold label, a model name — can leak). A
 * full zod parse of every response is a large part of a hot request's cost (it also re-checks
 * formats of values the server itself made), so each response schema is compiled once into a
 * shaper that builds the same output: objects keep only their listed keys (strict objects refuse
 * others, loose ones keep them), arrays, nullable, optional, records and primitives are walked
 * directly with their types checked (string formats — uuid, datetime — are not checked again: the
 * server made those values). Anything else (unions, transforms, defaults, …) is handed to
 * zod for its part. When the shaper finds a value it does not expect, the whole response goes
 * through zod's parse, which throws exactly as before.
 */
import type { z } from 'zod';

const MISMATCH: unique symbol = Symbol('mismatch');
type Shaper = (v: unknown) => unknown;

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  keyType?: z.ZodType;
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: { _zod: { def: { check: string; format?: string } } }[];
  coerce?: boolean;
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function viaZod(s: z.ZodType): Shaper {
  return (v) => {
    const r = s.safeParse(v);
    return r.success ? r.data : MISMATCH;
  };
}

function compile(s: z.ZodType): Shaper {
  const d = defOf(s);
  // Values zod would change (trim, lower-case, coercion): zod's own handling.
  if (d.coerce || (d.checks ?? []).some((c) => c._zod.def.check === 'overwrite')) return viaZod(s);
  switch (d.type) {
    case 'object': {
      const keys = Object.keys(d.shape!);
      const fns = keys.map((k) => compile(d.shape![k]!));
      const rest = d.catchall ? defOf(d.catchall).type : 'strip';
      // Only the plain cases: zod's own handling for any other catch-all schema.
      if (rest !== 'strip' && rest !== 'never' && rest !== 'unknown') return viaZod(s);
      const listed = new Set(keys);
      return (v) => {
        if (!isPlainObject(v)) return MISMATCH;
        const out: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          const x = fns[i]!(v[k]);
          if (x === MISMATCH) return MISMATCH;
          if (x !== undefined || k in v) out[k] = x;
        }
        if (rest !== 'strip')
          for (const k of Object.keys(v)) {
            if (listed.has(k)) continue;
            if (rest === 'never') return MISMATCH;
            out[k] = v[k];
          }
        return out;
      };
    }
    case 'array': {
      const el = compile(d.element!);
      return (v) => {
        if (!Array.isArray(v)) return MISMATCH;
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = el(v[i]);
          if (x === MISMATCH) return MISMATCH;
          out[i] = x;
        }
        return out;
      };
    }
    case 'nullable': {
      const inner = compile(d.innerType!);
      return (v) => (v === null ? null : inner(v));
    }
    case 'optional': {
      const inner = compile(d.innerType!);
      return (v) => (v === undefined ? undefined : inner(v));
    }
    case 'record': {
      if (defOf(d.keyType!).type !== 'string' || (defOf(d.keyType!).checks?.length ?? 0) > 0) return viaZod(s);
      const val = compile(d.valueType!);
      return (v) => {
        if (!isPlainObject(v)) return MISMATCH;
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
          const x = val(v[k]);
          if (x === MISMATCH) return MISMATCH;
          out[k] = x;
        }
        return out;
      };
    }
    case 'string':
      return (v) => (typeof v === 'string' ? v : MISMATCH);
    case 'number': {
      const int = (d.checks ?? []).some((c) => c._zod.def.check === 'number_format' && /int/.test(c._zod.def.format ?? ''));
      return (v) => (typeof v === 'number' && Number.isFinite(v) && (!int || Number.isInteger(v)) ? v : MISMATCH);
    }
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : MISMATCH);
    case 'null':
      return (v) => (v === null ? null : MISMATCH);
    case 'enum': {
      const ok = new Set(Object.values(d.entries!));
      return (v) => (ok.has(v as string) ? v : MISMATCH);
    }
    case 'literal': {
      const ok = new Set(d.values!);
      return (v) => (ok.has(v) ? v : MISMATCH);
    }
    case 'unknown':
    case 'any':
      return (v) => v;
    default:
      return viaZod(s);
  }
}

/** The response shaper of a schema: the schema's output for a value it accepts; zod's parse (and its error) otherwise. */
export function compileOutput<T>(schema: z.ZodType<T>): (value: unknown) => T {
  const fn = compile(schema);
  return (value) => {
    const out = fn(value);
    return out === MISMATCH ? schema.parse(value) : (out as T);
  };
}
