/**
 * Programming and configuration errors: one base class with a stable `code`
 * (undici/ws style). Wire errors live in protocol/errors.ts; JetStream errors
 * are generated from the catalogue.
 */
export class NatsServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsServerError';
    this.code = code;
  }
}

/** A config file or flag that cannot be accepted; message is `file:line:col: text` when known. */
export class ConfigError extends NatsServerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options);
    this.name = 'ConfigError';
  }
}
