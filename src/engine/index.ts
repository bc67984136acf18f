// The engine package: runs a compiled query plan over events (groups, windows, aggregates,
// expressions) and hands back changes and state deltas for the runtime to commit. Everything outside
// this folder imports it from here (lint enforces it).
export * from './checkpoint.js';
export * from './errors.js';
export * from './expr.js';
export * from './group.js';
export * from './like.js';
export * from './query-engine.js';
export * from './types.js';
