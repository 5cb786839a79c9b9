/**
 * Import this module first in a browser entry, before anything that builds a schema. Zod probes
 * whether it may compile parsers with `new Function` when the first object schema is built; under
 * a strict Content-Security-Policy (script-src 'self', no 'unsafe-eval') the probe is refused and
 * reported as a violation on every page, even though zod catches it. Jitless zod never evaluates code.
 */
import { z } from 'zod';

z.config({ jitless: true });
