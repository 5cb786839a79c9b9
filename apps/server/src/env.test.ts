import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv, REPO_ROOT } from './env.ts';

describe('parseEnv', () => {
  it('defaults to port 3000, the demo workspace and an embedded database under .accord/', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.ACCORD_DEMO).toBe(true);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.dataDir).toBe(`${REPO_ROOT}/.accord`);
    expect(env.ACCORD_TRUST_PROXY).toBe(false);
    expect(env.ACCORD_PGLITE_WASM).toBe('baseline');
  });

  it("takes the embedded database's WebAssembly compilers from ACCORD_PGLITE_WASM", () => {
    expect(parseEnv({ ACCORD_PGLITE_WASM: 'optimizing' }).ACCORD_PGLITE_WASM).toBe('optimizing');
    expect(() => parseEnv({ ACCORD_PGLITE_WASM: 'turbo' })).toThrow('ACCORD_PGLITE_WASM: must be baseline or optimizing');
  });

  it('names every bad variable and why', () => {
    try {
      parseEnv({ PORT: '70000', DATABASE_URL: 'mysql://x', ACCORD_DEMO: 'maybe', ACCORD_ADMIN_EMAIL: 'a@b.co' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EnvError);
      const msg = (e as Error).message;
      expect(msg).toContain('PORT:');
      expect(msg).toContain('DATABASE_URL: must start with postgres://');
      expect(msg).toContain('ACCORD_DEMO: must be 1/0');
    }
    expect(() => parseEnv({ ACCORD_ADMIN_EMAIL: 'a@b.co' })).toThrow('ACCORD_ADMIN_PASSWORD: is required when ACCORD_ADMIN_EMAIL is set');
  });

  it('parses ACCORD_ORIGINS as a list of origins', () => {
    expect(parseEnv({ ACCORD_ORIGINS: 'https://a.example, https://b.example' }).ACCORD_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(() => parseEnv({ ACCORD_ORIGINS: 'not a url' })).toThrow(/ACCORD_ORIGINS/);
  });
});
