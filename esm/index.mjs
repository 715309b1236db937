// The ES module entry: the CommonJS build re-exported, so `import` and `require` share one module instance (one
// native addon, one set of error classes for `instanceof`). Node finds the names through its CommonJS export
// detection; test/package checks that every CommonJS export is importable by name.
export * from '../dist/index.js';
export { default } from '../dist/index.js';
