/**
 * The one bounded cache: two generations of plain `Map`s. Entries are read from the current
 * generation, or promoted from the previous one; when the current one is full (or, with
 * `maxAgeMs`, older than that) it becomes the previous one and the oldest generation is
 * dropped. Close to LRU at the cost of two `Map` lookups (much cheaper than a linked-list LRU
 * on a hot path), never more than 2 × `max` entries, and an entry stays at least until `max`
 * newer ones were set (or `maxAgeMs` passed), at most two turns.
 */
export interface GenerationCacheOptions {
  /** Turns the generations at least this often, so entries are also forgotten by age. */
  maxAgeMs?: number;
  now?: () => number;
}

export class GenerationCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private turnedAt: number;
  private readonly max: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(max: number, { maxAgeMs = Number.POSITIVE_INFINITY, now = Date.now }: GenerationCacheOptions = {}) {
    this.max = max;
    this.maxAgeMs = maxAgeMs;
    this.now = now;
    this.turnedAt = maxAgeMs === Number.POSITIVE_INFINITY ? 0 : now();
  }

  get(key: K): V | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  /** Whether the key is held, without promoting it. */
  has(key: K): boolean {
    return this.current.has(key) || this.previous.has(key);
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.max || (this.maxAgeMs !== Number.POSITIVE_INFINITY && this.now() - this.turnedAt >= this.maxAgeMs)) {
      this.previous = this.current;
      this.current = new Map();
      if (this.maxAgeMs !== Number.POSITIVE_INFINITY) this.turnedAt = this.now();
    }
    this.current.set(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
