import { customType, timestamp, uuid } from 'drizzle-orm/pg-core';

export const id = () => uuid('id').primaryKey().defaultRandom();

export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

/** Binary column (Yjs updates). node-postgres returns Buffer, PGlite Uint8Array: both become Uint8Array. */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength)),
  fromDriver: (v) => (v instanceof Uint8Array ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v as ArrayBuffer)),
});

/**
 * An array of the composite type `accord_quality_count` (scope text, unit text, value double
 * precision, n integer), created by migration 0022. Only SQL functions read and write it; the app
 * reads it with `unnest` in SQL, never as a JavaScript value.
 */
export const qualityCountArray = customType<{ data: string; driverData: string }>({
  dataType: () => 'accord_quality_count[]',
});

/**
 * An array of the composite type `accord_quality_judge` (the columns of `quality_judgments`), created
 * by migration 0030: an item's stored judgment rows, copied beside its counts. Only SQL functions read
 * and write it.
 */
export const qualityJudgeArray = customType<{ data: string; driverData: string }>({
  dataType: () => 'accord_quality_judge[]',
});
