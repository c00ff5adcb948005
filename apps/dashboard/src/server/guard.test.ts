import { describe, expect, it } from 'vitest';
import { hostNameOf, isAllowedHost, isOwnOrigin, ownOrigin } from './guard.ts';

describe('isAllowedHost', () => {
  const origin = new URL('https://dashboard.example.com');

  it('accepts IP literals and localhost, whatever ORIGIN says', () => {
    for (const host of ['127.0.0.1:8050', '10.1.2.3', '[::1]:8050', 'localhost:8050', 'app.localhost'])
      expect(isAllowedHost(host, null), host).toBe(true);
  });

  it("accepts ORIGIN's host name, with any port", () => {
    expect(isAllowedHost('dashboard.example.com', origin)).toBe(true);
    expect(isAllowedHost('DASHBOARD.example.com:443', origin)).toBe(true);
  });

  it('refuses other names (DNS rebinding), empty and malformed hosts', () => {
    for (const host of [
      'attacker.example',
      'dashboard.example.com.attacker.example',
      '',
      'a b',
      'user@127.0.0.1',
    ])
      expect(isAllowedHost(host, origin), host).toBe(false);
    expect(isAllowedHost(undefined, origin)).toBe(false);
    expect(isAllowedHost('dashboard.example.com', null)).toBe(false);
  });

  it('reads the host name without port or brackets', () => {
    expect(hostNameOf('[::1]:8050')).toBe('::1');
    expect(hostNameOf('Example.COM:80')).toBe('example.com');
    expect(hostNameOf('127.0.0.1/x')).toBeNull();
  });
});

describe('isOwnOrigin', () => {
  it('without ORIGIN: the Host over http (https on TLS)', () => {
    expect(ownOrigin('127.0.0.1:8050', null, false)).toBe('http://127.0.0.1:8050');
    expect(isOwnOrigin('http://127.0.0.1:8050', '127.0.0.1:8050', null, false)).toBe(true);
    expect(isOwnOrigin('https://127.0.0.1:8050', '127.0.0.1:8050', null, true)).toBe(true);
    // Same site, other port: another origin.
    expect(isOwnOrigin('http://127.0.0.1:3000', '127.0.0.1:8050', null, false)).toBe(false);
    expect(isOwnOrigin('https://127.0.0.1:8050', '127.0.0.1:8050', null, false)).toBe(false);
  });

  it('with ORIGIN: exactly that origin', () => {
    const origin = new URL('https://dashboard.example.com');
    expect(isOwnOrigin('https://dashboard.example.com', 'dashboard.example.com', origin, false)).toBe(true);
    expect(isOwnOrigin('http://dashboard.example.com', 'dashboard.example.com', origin, false)).toBe(false);
    expect(isOwnOrigin('https://sub.dashboard.example.com', 'dashboard.example.com', origin, false)).toBe(
      false,
    );
  });

  it('refuses a missing, "null" or malformed Origin', () => {
    for (const value of [undefined, '', 'null', 'not a url'])
      expect(isOwnOrigin(value, '127.0.0.1:8050', null, false), String(value)).toBe(false);
  });
});
