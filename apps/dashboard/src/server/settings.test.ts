import { describe, expect, it } from 'vitest';
import { forgetSecrets, readSettings, SettingsError } from './settings.ts';

const TOKEN = 'a'.repeat(43);

describe('readSettings', () => {
  it('defaults: loopback, port 3000, the local platform, sign-in only', () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      origin: null,
      displayKey: null,
      signInLink: null,
    });
    expect(settings.graphqlUrl.toString()).toBe('http://127.0.0.1:4000/graphql');
  });

  it('reads ORIGIN as an origin, the display key and the one-time link', () => {
    const settings = readSettings({
      ORIGIN: 'https://dash.example.com/',
      DASHBOARD_API_KEY: ' Bearer ams_12345678_key ',
      DASHBOARD_SIGNIN_TOKEN: TOKEN,
      DASHBOARD_SIGNIN_KEY: 'ams_87654321_local',
      HOST: '0.0.0.0',
      PORT: '8050',
    });
    expect(settings.origin?.origin).toBe('https://dash.example.com');
    expect(settings.displayKey).toBe('ams_12345678_key');
    expect(settings.signInLink).toEqual({ token: TOKEN, key: 'ams_87654321_local' });
    expect(settings).toMatchObject({ host: '0.0.0.0', port: 8050 });
  });

  it('reports every problem at once, without echoing secrets', () => {
    let error: unknown;
    try {
      readSettings({
        PORT: '99999',
        ORIGIN: 'https://dash.example.com/app',
        GRAPHQL_URL: 'ftp://x/graphql',
        DASHBOARD_SIGNIN_TOKEN: 'short-secret',
        SHUTDOWN_TIMEOUT: 'soon',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    const problems = (error as SettingsError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toContain('PORT must be a whole number');
    expect(problems.join('\n')).toContain('ORIGIN must be an origin without a path');
    expect(problems.join('\n')).toContain('GRAPHQL_URL must start with http:// or https://');
    expect(problems.join('\n')).toContain('DASHBOARD_SIGNIN_TOKEN must be at least 32 characters');
    expect((error as Error).message).not.toContain('short-secret');
  });

  it('reads where a proxy puts the client address (as adapter-node)', () => {
    expect(readSettings({}).clientAddress).toBeNull();
    expect(readSettings({ ADDRESS_HEADER: 'X-Forwarded-For', XFF_DEPTH: '2' }).clientAddress).toEqual({
      header: 'x-forwarded-for',
      xffDepth: 2,
    });
    expect(() => readSettings({ ADDRESS_HEADER: 'x-forwarded-for', XFF_DEPTH: '0' })).toThrow(/XFF_DEPTH/);
  });

  it('refuses a link key without a token', () => {
    expect(() => readSettings({ DASHBOARD_SIGNIN_KEY: 'ams_x' })).toThrow(
      /DASHBOARD_SIGNIN_KEY is set without/,
    );
  });

  it('forgetSecrets removes the key and token variables', () => {
    const env: Record<string, string | undefined> = {
      DASHBOARD_API_KEY: 'k',
      DASHBOARD_SIGNIN_KEY: 'k2',
      DASHBOARD_SIGNIN_TOKEN: TOKEN,
      PORT: '1',
    };
    forgetSecrets(env);
    expect(env).toEqual({ PORT: '1' });
  });
});
