// The warnings transformers gives, as Node process warnings with a stable code (a listener or
// `--disable-warning=<code>` can silence one). Each code is emitted at most once per `scope` (a classifier), so a
// loop of predict() calls warns once.

export type WarningCode = 'BERTNODE_UNTRAINED_HEAD' | 'BERTNODE_ONE_CLASS' | 'BERTNODE_CLS_HEAD' | 'BERTNODE_THREADS';

const emitted = new WeakMap<object, Set<WarningCode>>();

export function warnOnce(scope: object, code: WarningCode, message: string): void {
  const seen = emitted.get(scope) ?? new Set<WarningCode>();
  emitted.set(scope, seen);
  if (seen.has(code)) return;
  seen.add(code);
  process.emitWarning(`bertnode: ${message}`, { code });
}
