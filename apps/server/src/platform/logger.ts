export interface Logger {
  error(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  debug(msg: string, extra?: Record<string, unknown>): void;
}

const LEVELS = { silent: 0, error: 1, info: 2, debug: 3 } as const;

export function createLogger(level: keyof typeof LEVELS): Logger {
  const n = LEVELS[level];
  const out = (lvl: string, msg: string, extra?: Record<string, unknown>) =>
    (lvl === 'error' ? console.error : console.log)(`[accord] ${lvl} ${msg}${extra ? ' ' + JSON.stringify(extra) : ''}`);
  return {
    error: (m, e) => n >= 1 && out('error', m, e),
    info: (m, e) => n >= 2 && out('info', m, e),
    debug: (m, e) => n >= 3 && out('debug', m, e),
  };
}
