/**
 * A bounded cache of two generations of plain `Map`s: entries are read from the current
 * generation, or promoted from the previous one; when the current one is full it becomes the
 * previous and the oldest generation is dropped. Close to LRU, at the cost of two `Map` lookups
 * (much cheaper than a linked-list LRU on the request path), and never more than 2 × `max`.
 */
export class GenerationCache<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get(key: K): V | undefined {
    const hit = this.current.get(key);
    if (hit !== undefined) return hit;
    const old = this.previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.current.size >= this.max) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
