/**
 * JetStream API errors (Go ApiError): one constructor over the generated
 * catalogue, filling `{placeholder}` fields. Handlers return or throw these;
 * the dispatcher turns anything else into a generic error response.
 */
import { JS_ERRORS, type JSErrorName } from './errors.generated.js';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly err_code: number,
    readonly description: string,
  ) {
    super(description);
  }

  toJSON(): { code: number; err_code: number; description: string } {
    return { code: this.code, err_code: this.err_code, description: this.description };
  }
}

/** Build the named catalogue error; `params` fill `{name}` placeholders (e.g. `{err: 'x'}`). */
export function jsError(name: JSErrorName, params: Record<string, string | number> = {}): ApiError {
  const d = JS_ERRORS[name];
  const text = d.description.replace(/\{([a-z_]+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
  return new ApiError(d.code, d.err_code, text);
}

/** Go's `Unless(err)` pattern: keep an ApiError as is, wrap anything else in `name`. */
export function asApiError(e: unknown, name: JSErrorName): ApiError {
  if (e instanceof ApiError) return e;
  return jsError(name, { err: e instanceof Error ? e.message : String(e) });
}
