export * from './stance.ts';
export * from './minhash.ts';
export * from './findings.ts';
