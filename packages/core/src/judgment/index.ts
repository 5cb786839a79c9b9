export * from './rules.ts';
export * from './rubric-view.ts';
export * from './display-order.ts';
export * from './gold.ts';
export * from './word-diff.ts';
