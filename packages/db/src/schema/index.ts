export * from './users.ts';
export * from './projects.ts';
export * from './audit.ts';
export * from './docs.ts';
export * from './rubrics.ts';
export * from './work.ts';
export * from './login.ts';
export * from './control.ts';
