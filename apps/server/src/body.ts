import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body of unannounced length (chunked), giving up as soon as it passes `limit`
 * bytes: resolves with the bytes, or null when too large. The rest is then read and dropped, up
 * to `drainLimit` bytes in all, after which the connection is cut.
 */
export function readBodyWithin(
  req: IncomingMessage,
  limit: number,
  drainLimit = limit,
): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > drainLimit) req.destroy();
        return;
      }
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}
