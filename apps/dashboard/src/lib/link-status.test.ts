import { describe, expect, it } from 'vitest';
import { type LinkEvent, type LinkStatus, nextLinkStatus } from './link-status.ts';

const walk = (events: LinkEvent[], start: LinkStatus = 'connecting') => {
  let status = start;
  const reconnects: number[] = [];
  events.forEach((e, k) => {
    const t = nextLinkStatus(status, e);
    status = t.status;
    if (t.reconnected) reconnects.push(k);
  });
  return { status, reconnects };
};

describe('nextLinkStatus', () => {
  it('goes live on the first connect without asking for a re-read', () => {
    expect(walk(['connecting', 'connected'])).toEqual({ status: 'live', reconnects: [] });
  });

  it('shows reconnecting through any number of failed attempts, and asks for one re-read when back', () => {
    expect(
      walk([
        'connecting',
        'connected',
        'closed',
        'connecting',
        'closed',
        'connecting',
        'closed',
        'connecting',
      ]),
    ).toEqual({
      status: 'reconnecting',
      reconnects: [],
    });
    expect(
      walk(['connecting', 'connected', 'closed', 'connecting', 'closed', 'connecting', 'connected']),
    ).toEqual({
      status: 'live',
      reconnects: [6],
    });
  });

  it('re-reads after a first load whose server was down', () => {
    // The page's first queries failed too; coming up is a reconnect as far as the data goes.
    expect(walk(['connecting', 'closed', 'connecting', 'connected'])).toEqual({
      status: 'live',
      reconnects: [3],
    });
  });

  it('stays refused: retrying cannot fix a refused key', () => {
    expect(walk(['connecting', 'refused', 'closed', 'connecting'])).toEqual({
      status: 'refused',
      reconnects: [],
    });
  });
});
