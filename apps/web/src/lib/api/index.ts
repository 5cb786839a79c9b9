/**
 * The web app's API: `@accord/client` (one method per route contract of `@accord/core`) with the
 * browser's session cookie (`credentials: 'same-origin'`), a hook for sessions that end mid-use
 * (any 401 but the sign-in call and the session probe) and readable error messages. Imports go
 * through `uploadImport`: the one call that needs XHR, for upload progress.
 */
import { ApiError, createClient, readAnswer, urlOf, type AccordClient, type CallInput } from '@accord/client';
import { contracts, type ContractDef, type Contracts, type ResponseOf } from '@accord/core';
import { readableError, OFFLINE_MESSAGE } from './errors.ts';

export { ApiError, fieldErrors, messageOf } from './errors.ts';

/** The parsed answer of `api.<domain>.<name>`, e.g. `Answer<'projects', 'list'>`. */
export type Answer<D extends keyof Contracts, N extends keyof Contracts[D]> = Contracts[D][N] extends ContractDef ? ResponseOf<Contracts[D][N]> : never;

export interface WebApiOptions {
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Called on any 401 except from the sign-in call and the session probe, e.g. to go back to /login. */
  onUnauthenticated?: () => void;
}

/** Calls whose 401 means "not signed in" rather than "the session ended". */
const SESSION_PROBES = new Set(['auth.login', 'auth.me']);

type AnyCall = (input?: unknown) => Promise<unknown>;

export function createWebApi(options: WebApiOptions = {}): AccordClient {
  const client = createClient({ baseUrl: '', credentials: 'same-origin', fetch: options.fetch });
  const fail = (id: string, e: unknown): never => {
    if (e instanceof ApiError && e.status === 401 && !SESSION_PROBES.has(id)) options.onUnauthenticated?.();
    throw readableError(e);
  };
  return Object.fromEntries(
    Object.entries(client).map(([domain, calls]) => [
      domain,
      Object.fromEntries(Object.entries(calls as Record<string, AnyCall>).map(([name, call]) => [name, (input?: unknown) => call(input).catch((e: unknown) => fail(`${domain}.${name}`, e))])),
    ]),
  ) as AccordClient;
}

/** Set by the session at start-up: a 401 mid-use signs the user out and explains why. */
export const hooks: { onUnauthenticated?: () => void } = {};

/** The app's single API client. */
export const api = createWebApi({ onUnauthenticated: () => hooks.onUnauthenticated?.() });

type StartImport = Contracts['imports']['start'];

/**
 * `imports.start` over XHR, which reports upload progress (fetch cannot): the same contract gives the
 * URL, and the answer is read and parsed exactly as the client reads it.
 */
export function uploadImport(
  input: Omit<CallInput<StartImport>, 'body' | 'signal'> & { body: Blob },
  onProgress: (fraction: number) => void,
  options: { onUnauthenticated?: () => void } = { onUnauthenticated: () => hooks.onUnauthenticated?.() },
): Promise<ResponseOf<StartImport>> {
  const c = contracts.imports.start;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(c.method.toUpperCase(), urlOf(c, input));
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network_error', OFFLINE_MESSAGE));
    xhr.onload = () => {
      try {
        resolve(readAnswer(c, { status: xhr.status, text: xhr.responseText, header: (name) => xhr.getResponseHeader(name) }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) options.onUnauthenticated?.();
        reject(readableError(e));
      }
    };
    xhr.send(input.body);
  });
}
