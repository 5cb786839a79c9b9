export * from './errors.ts';
export * from './schemas/common.ts';
export * from './schemas/users.ts';
export * from './schemas/projects.ts';
export * from './schemas/auth.ts';
export * from './schemas/items.ts';
export * from './validation.ts';
