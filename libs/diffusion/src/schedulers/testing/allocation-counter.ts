/**
 * Counts typed-array allocations made by JavaScript code while a function runs: constructions
 * through the global constructors (`new Float32Array(n)`, `Float32Array.from`, …) and the
 * prototype methods that create arrays (`slice`, `map`, `filter`, `subarray`). Test-only: it
 * swaps those globals and methods for the duration of the call and restores them after.
 * Allocations inside native code (ONNX Runtime's own tensors) are not seen.
 */
const CONSTRUCTORS = ['Float32Array', 'Float64Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array'] as const;
const METHODS = ['slice', 'map', 'filter', 'subarray'] as const;

type Constructors = Record<(typeof CONSTRUCTORS)[number], unknown>;

export async function countTypedArrayAllocations<T>(run: () => Promise<T> | T): Promise<{ result: T; count: number }> {
  let count = 0;
  const globals = globalThis as unknown as Constructors;
  const originals = CONSTRUCTORS.map((name) => [name, globals[name]] as const);
  const prototype = Object.getPrototypeOf(Int8Array.prototype) as Record<string, (...args: unknown[]) => unknown>;
  const methods = METHODS.map((name) => [name, prototype[name]] as const);
  for (const [name, original] of originals) {
    globals[name] = new Proxy(original as object, {
      construct(target, args, newTarget) {
        count++;
        return Reflect.construct(target as new (...args: unknown[]) => object, args, newTarget) as object;
      },
    });
  }
  for (const [name, original] of methods) {
    prototype[name] = function counted(this: unknown, ...args: unknown[]): unknown {
      count++;
      return original.apply(this, args);
    };
  }
  try {
    const result = await run();
    return { result, count };
  } finally {
    for (const [name, original] of originals) globals[name] = original;
    for (const [name, original] of methods) prototype[name] = original;
  }
}
