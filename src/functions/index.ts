// The functions package: SQL value types, values (decimals, times, comparison), the function
// registry with the built-in and plugin functions, their limits and errors. It sits below both the
// compiler (src/sql) and the engine (src/engine), which meet only through it and the query plan;
// everything outside this folder imports it from here (lint enforces it).
export * from './aggregates.js';
export * from './approx-count-distinct.js';
export * from './approx-percentile.js';
export * from './decimal.js';
export * from './distinct.js';
export * from './errors.js';
export * from './hash.js';
export * from './limits.js';
export * from './plugins.js';
export * from './reference.js';
export * from './regexp.js';
export * from './registry.js';
export * from './scalars.js';
export * from './sql-types.js';
export * from './topk.js';
export * from './types.js';
export * from './values.js';
