/**
 * Yoga's parse caches (document and parse-error), keyed by the whole query text, bounded by size
 * as well as by count. Yoga's own are bounded by count only (1,024 entries for an hour), so 1,024
 * distinct large documents would all be held; here the text of the cached documents, together
 * with the syntax trees built from it, stays within about `maxBytes`.
 */
export class DocumentCache<T> {
  private readonly entries = new Map<string, { value: T; size: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEntries = 1_024,
  ) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: T): void {
    const size = key.length * BYTES_PER_CHARACTER;
    if (size > this.maxBytes / 4) return; // one entry never crowds out the rest
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.size;
      this.entries.delete(key);
    }
    this.entries.set(key, { value, size });
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes && this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
      this.bytes -= entry.size;
    }
  }

  /** Estimated bytes held. */
  get size(): number {
    return this.bytes;
  }
}

/**
 * Heap per character of query text, the key and its syntax tree together: measured at about 42
 * bytes on the SDK's documents (graphql-js 16, V8 on Node 20).
 */
const BYTES_PER_CHARACTER = 42;
