/**
 * Calls a registered OpenAI-compatible chat endpoint: `POST {baseUrl}/chat/completions` with the
 * conversation, the endpoint's model and max tokens, and its key as a bearer token. The call ends at
 * the endpoint's timeout (AbortSignal), reads at most `maxBytes` of the answer, and follows no
 * redirect (a 3xx is a failure: a registered host cannot send the server elsewhere). Every failure is
 * an outcome with a sentence for the trainer (and the upstream's own words apart, for leads), never a throw.
 */
export interface ChatEndpoint {
  baseUrl: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
  maxTokens: number;
}

export type ChatOutcome =
  | { ok: true; response: string; ms: number }
  | {
      ok: false;
      outcome: 'timeout' | 'too_large' | 'unreachable' | 'bad_response' | 'redirect' | `http_${number}`;
      /** A sentence anyone may read: the kind of failure, never the upstream's words or addresses. */
      message: string;
      /** What the upstream said, or the connection error (its host and port): for leads and the server's log only. */
      detail?: string;
      ms: number;
    };

async function readCapped(res: Response, maxBytes: number): Promise<string | null> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The assistant's text of a chat completion (string content, or the text parts of an array). */
function contentOf(body: unknown): string | null {
  const msg = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message;
  const c = msg?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return null;
}

/** The error message an OpenAI-compatible server gives (`{ error: { message } }`), shortened. */
function errorMessageOf(text: string): string {
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } | string }).error;
    const s = typeof m === 'string' ? m : typeof m?.message === 'string' ? m.message : '';
    if (s) return s.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 300);
}

export async function callChat(ep: ChatEndpoint, turns: { role: string; content: string }[], maxBytes: number, signal?: AbortSignal): Promise<ChatOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const timeout = AbortSignal.timeout(ep.timeoutMs);
  const abort = signal ? AbortSignal.any([timeout, signal]) : timeout;
  try {
    const res = await fetch(`${ep.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...(ep.apiKey ? { Authorization: `Bearer ${ep.apiKey}` } : {}) },
      body: JSON.stringify({ model: ep.model, messages: turns.map((t) => ({ role: t.role, content: t.content })), max_tokens: ep.maxTokens }),
      redirect: 'manual',
      signal: abort,
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: false, outcome: 'redirect', message: `The model's endpoint answered with a redirect (HTTP ${res.status}); redirects are not followed.`, ms: ms() };
    }
    const text = await readCapped(res, maxBytes);
    if (text === null) return { ok: false, outcome: 'too_large', message: `The model's answer is larger than ${Math.round(maxBytes / 1024)} KiB; it was not read.`, ms: ms() };
    if (!res.ok) {
      const detail = errorMessageOf(text);
      return { ok: false, outcome: `http_${res.status}`, message: `The model's endpoint refused the call: HTTP ${res.status}.`, ...(detail ? { detail } : {}), ms: ms() };
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, outcome: 'bad_response', message: "The model's endpoint answered with something that is not JSON.", ms: ms() };
    }
    const content = contentOf(body);
    if (content === null) return { ok: false, outcome: 'bad_response', message: "The model's endpoint answered without a message (choices[0].message.content).", ms: ms() };
    return { ok: true, response: content, ms: ms() };
  } catch (e) {
    if (timeout.aborted) return { ok: false, outcome: 'timeout', message: `The model did not answer within ${(ep.timeoutMs / 1000).toLocaleString('en')} s.`, ms: ms() };
    return {
      ok: false,
      outcome: 'unreachable',
      message: "The model's endpoint could not be reached.",
      detail: (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message,
      ms: ms(),
    };
  }
}
