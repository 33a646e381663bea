/** Poll `fn` until it returns a truthy value or `timeoutMs` passes (Go's checkFor). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor: condition not met within ${timeoutMs}ms${lastErr ? `: ${String(lastErr)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolve with the first emission of `event`, or reject after `timeoutMs`. */
export function once<T = unknown>(
  emitter: { once(ev: string, cb: (...a: any[]) => void): unknown; removeListener(ev: string, cb: (...a: any[]) => void): unknown },
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      emitter.removeListener(event, on);
      reject(new Error(`timed out after ${timeoutMs}ms waiting for '${event}'`));
    }, timeoutMs);
    const on = (v: T) => {
      clearTimeout(t);
      resolve(v);
    };
    emitter.once(event, on);
  });
}
