// A tiny test harness in pure ECMAScript, so the same unit tests run under Node's test runner and inside
// the XS engine. Test files register with `test()`; the Node runner (test/run-node.ts → node:test) and the
// XS runner (test/xs/xs-main.ts) execute the registry.

export type TestFn = () => void | Promise<void>;

export interface TestEntry {
  readonly name: string;
  readonly fn: TestFn;
  /** Long-running tests (thousands of cases); they still always run. */
  readonly slow: boolean;
}

export const registry: TestEntry[] = [];

let prefix = "";

/** Group tests under a name prefix (synchronous body). */
export function describe(name: string, body: () => void): void {
  const saved = prefix;
  prefix = prefix + name + " › ";
  try {
    body();
  } finally {
    prefix = saved;
  }
}

export function test(name: string, fn: TestFn, options?: { slow?: boolean }): void {
  registry.push({ name: prefix + name, fn, slow: !!options?.slow });
}

let logSink: (line: string) => void = () => {};

/** Where `report` lines go (set by the runner). */
export function setReportSink(sink: (line: string) => void): void {
  logSink = sink;
}

/** Print a figure the issue asks for (counts of cases tried, etc.); visible in both engines' output. */
export function report(line: string): void {
  logSink(line);
}

export class AssertionError extends Error {
  override get name(): string {
    return "AssertionError";
  }
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) {
    let s = "";
    for (let i = 0; i < Math.min(v.length, 64); i++) s += (v[i] < 16 ? "0" : "") + v[i].toString(16);
    return `Uint8Array(${v.length})[${s}${v.length > 64 ? "…" : ""}]`;
  }
  try {
    const j = JSON.stringify(v);
    return j === undefined ? String(v) : j.length > 300 ? j.slice(0, 300) + "…" : j;
  } catch {
    return String(v);
  }
}

function deepEq(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(ArrayBuffer.isView(a) && ArrayBuffer.isView(b))) return false;
    if (a.constructor !== b.constructor) return false;
    const x = a as unknown as ArrayLike<number>, y = b as unknown as ArrayLike<number>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEq(v, b.get(k))) return false;
    return true;
  }
  const ka = Object.keys(a as object), kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

export interface Assert {
  ok(v: unknown, msg?: string): asserts v;
  equal<T>(actual: T, expected: T, msg?: string): void;
  notEqual<T>(actual: T, unexpected: T, msg?: string): void;
  deepEqual(actual: unknown, expected: unknown, msg?: string): void;
  throws(fn: () => unknown, match?: RegExp, msg?: string): void;
  rejects(fn: () => Promise<unknown>, match?: RegExp, msg?: string): Promise<void>;
  fail(msg: string): never;
}

export const assert: Assert = {
  ok(v: unknown, msg?: string): asserts v {
    if (!v) throw new AssertionError(msg ?? `expected truthy, got ${show(v)}`);
  },
  equal<T>(actual: T, expected: T, msg?: string): void {
    if (!Object.is(actual, expected)) throw new AssertionError(`${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  },
  notEqual<T>(actual: T, unexpected: T, msg?: string): void {
    if (Object.is(actual, unexpected)) throw new AssertionError(`${msg ? msg + ": " : ""}did not expect ${show(actual)}`);
  },
  deepEqual(actual: unknown, expected: unknown, msg?: string): void {
    if (!deepEq(actual, expected)) throw new AssertionError(`${msg ? msg + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  },
  throws(fn: () => unknown, match?: RegExp, msg?: string): void {
    let threw = false;
    try {
      fn();
    } catch (e) {
      threw = true;
      if (match && !match.test(String((e as Error)?.message ?? e))) throw new AssertionError(`${msg ? msg + ": " : ""}error ${show(String(e))} does not match ${match}`);
    }
    if (!threw) throw new AssertionError(msg ?? "expected an exception");
  },
  async rejects(fn: () => Promise<unknown>, match?: RegExp, msg?: string): Promise<void> {
    let threw = false;
    try {
      await fn();
    } catch (e) {
      threw = true;
      if (match && !match.test(String((e as Error)?.message ?? e))) throw new AssertionError(`${msg ? msg + ": " : ""}error ${show(String(e))} does not match ${match}`);
    }
    if (!threw) throw new AssertionError(msg ?? "expected a rejection");
  },
  fail(msg: string): never {
    throw new AssertionError(msg);
  },
};
