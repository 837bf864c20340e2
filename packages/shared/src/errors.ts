/** Malformed input: answered with a 4xx and this message, never logged as a fault. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

/** A bad configuration value: the process stops with this one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
