import { describe, expect, it } from 'vitest';
import { quietPlatformForSuite } from './quiet-platform.ts';

describe('the data service’s quality counts', () => {
  const suite = quietPlatformForSuite({});

  it('counts the missing cells of records and none for positional rows (checked finite)', async () => {
    const { platform } = suite;
    const seen: { path: string; missing: number }[] = [];
    const stop = platform.data.observe({ quality: (q) => seen.push({ path: q.path, missing: q.missing }) });
    try {
      // Three records, two cells missing (a null and an absent column).
      const records = [{ a: 1.5, b: 2 }, { a: null, b: 3 }, { b: 4 }];
      await platform.data.ingest({ records, labels: [0, 1, 0], source: 'cli' });
      expect(seen.at(-1)).toEqual({ path: 'ingest', missing: 2 });
      const rows = Array.from({ length: 100 }, (_, i) => [i / 3, -i]);
      await platform.data.ingest({ features: rows, labels: rows.map((_, i) => i % 2), source: 'cli' });
      expect(seen.at(-1)).toEqual({ path: 'ingest', missing: 0 });
    } finally {
      stop();
    }
  });
});
