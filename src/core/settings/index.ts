/**
 * The settings feature: one table of keys (keys.ts) and what is derived from
 * it. Modules depend one way only: types ← keys ← validate ← stored ←
 * effective ← describe; nothing in the folder imports this file.
 */
export * from './access.js';
export * from './describe.js';
export * from './effective.js';
export * from './keys.js';
export * from './stored.js';
export * from './types.js';
export * from './validate.js';
