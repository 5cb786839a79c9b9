export * from './users.ts';
export * from './projects.ts';
export * from './audit.ts';
