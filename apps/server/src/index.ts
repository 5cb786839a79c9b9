export { startServer, type RunningServer, type StartOptions } from './server.ts';
export { createApp, CSP } from './app.ts';
export { createDeps, type Deps } from './deps.ts';
export { parseEnv, EnvSchema, type Env } from './env.ts';
export { routeTable } from './routes.ts';
export type { AnyRoute, Access } from './platform/http/route.ts';
export { SESSION_COOKIE } from './platform/http/request.ts';
export { KDF, parseHashParams } from './features/auth/passwords.ts';
export { loadDemoItems, type DemoLogin } from './demo/seed.ts';
