import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address of whoever is calling. Without trusted proxies (TRUST_PROXY=0, the default) it is
 * the socket's peer: X-Forwarded-For is written by the client and proves nothing. With
 * TRUST_PROXY=n, the n proxies nearest to us each appended the address they were called from, so
 * the client is the n-th entry from the right; anything to the left of it is the client's own
 * claim and is ignored.
 */
export function clientAddress(req: IncomingMessage | undefined, trustProxy: number): string {
  const peer = normalise(req?.socket.remoteAddress) ?? 'unknown';
  if (!req || trustProxy <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return peer;
  const hop = entries[Math.max(0, entries.length - trustProxy)]!;
  return normalise(hop) ?? peer;
}

/** IPv4-mapped IPv6 as plain IPv4; anything that is not an address is refused (null). */
function normalise(address: string | undefined): string | null {
  if (!address) return null;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return isIP(plain) ? plain : null;
}

/**
 * The unit a per-address limit counts: the address itself for IPv4, its /64 network for IPv6 (one
 * host commonly holds a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
