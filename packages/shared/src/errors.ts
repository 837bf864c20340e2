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

/**
 * A message of a schema version newer than this build knows (docs/topic.md): not bad data,
 * so never dead-lettered; the ingester stops the partition until a newer ingester reads it.
 */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError';
  readonly version: number;
  readonly known: number;
  constructor(version: number, known: number) {
    super(`message of schema version ${version}; this build knows versions 1 to ${known}: upgrade it (docs/topic.md, "Upgrades")`);
    this.version = version;
    this.known = known;
  }
}
