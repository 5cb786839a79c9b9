/**
 * Plain-language validation messages for every schema without its own: zod's defaults ("Invalid
 * input: expected string, received undefined", "Too small: expected array to have >=1 items") reach
 * people through the API's field errors, the import report and the forms. Each message completes
 * its field's path ("body.prompt: is required", "row 3, title: must not be empty"), in the style of
 * the schemas' own messages. Installed globally when `@accord/core` loads (server, client, scripts);
 * a schema's own message still wins.
 */
import { z } from 'zod';

type Issue = z.core.$ZodRawIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  date: 'a date',
  null: 'null',
  nan: 'NaN',
};

const FORMAT_NAMES: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'an id (a UUID)',
  uuidv4: 'an id (a UUID)',
  guid: 'an id (a UUID)',
  datetime: 'an ISO 8601 date and time (e.g. 2026-01-31T12:00:00Z)',
  date: 'an ISO 8601 date (e.g. 2026-01-31)',
  time: 'an ISO 8601 time',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  base64: 'base64 text',
  jwt: 'a JWT',
};

function received(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number' && Number.isNaN(input)) return 'NaN';
  return TYPE_NAMES[typeof input] ?? typeof input;
}

const shown = (v: unknown) => (typeof v === 'string' ? `"${v}"` : String(v));
const count = (n: number | bigint, one: string, many = `${one}s`) => `${n} ${Number(n) === 1 ? one : many}`;

/** The message for an issue, or undefined to keep zod's own. */
export function plainMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected} (got ${received(issue.input)})`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${shown(issue.values[0])}` : `must be one of ${issue.values.map(shown).join(', ')}`;
    case 'too_small': {
      const min = issue.minimum;
      if (issue.origin === 'string') return Number(min) <= 1 ? 'must not be empty' : `must have ${issue.exact ? '' : 'at least '}${count(min, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return Number(min) <= 1 && !issue.exact ? 'needs at least one item' : `needs ${issue.exact ? 'exactly' : 'at least'} ${count(min, 'item')}`;
      if (issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'int') return issue.inclusive ? `must be at least ${min}` : `must be greater than ${min}`;
      if (issue.origin === 'date') return `must be on or after ${String(min)}`;
      return undefined;
    }
    case 'too_big': {
      const max = issue.maximum;
      if (issue.origin === 'string') return `must have ${issue.exact ? '' : 'at most '}${count(max, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `may have ${issue.exact ? 'exactly' : 'at most'} ${count(max, 'item')}`;
      if (issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'int') return issue.inclusive ? `must be at most ${max}` : `must be less than ${max}`;
      if (issue.origin === 'date') return `must be on or before ${String(max)}`;
      return undefined;
    }
    case 'invalid_format': {
      if (issue.format === 'starts_with' && 'prefix' in issue) return `must start with "${String(issue.prefix)}"`;
      if (issue.format === 'ends_with' && 'suffix' in issue) return `must end with "${String(issue.suffix)}"`;
      if (issue.format === 'includes' && 'includes' in issue) return `must include "${String(issue.includes)}"`;
      if (issue.format === 'regex') return 'is not in the expected format';
      const name = FORMAT_NAMES[issue.format];
      return name ? `must be ${name}` : `must be a valid ${issue.format}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `${issue.keys.length === 1 ? 'has an unknown field' : 'has unknown fields'}: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options) && issue.options.length) return `must be one of ${(issue.options as unknown[]).map(shown).join(', ')}`;
      return 'does not match any accepted form';
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid value';
    default:
      return undefined;
  }
}

z.config({ customError: plainMessage });
