import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { DEFAULT_URL, normaliseUrl, readClientSettings } from './settings.ts';

describe('client settings', () => {
  it('reads --url / --api-key first, then AUTOML_URL / AUTOML_API_KEY, then the default URL', () => {
    expect(readClientSettings({}, {})).toEqual({ url: DEFAULT_URL, apiKey: null, urlGiven: false });
    expect(readClientSettings({}, { AUTOML_URL: 'http://h:1/graphql', AUTOML_API_KEY: 'k-env' })).toEqual({
      url: 'http://h:1/graphql',
      apiKey: 'k-env',
      urlGiven: true,
    });
    expect(
      readClientSettings(
        { url: 'http://flag:2', 'api-key': 'k-flag' },
        { AUTOML_URL: 'http://h:1/graphql', AUTOML_API_KEY: 'k-env' },
      ),
    ).toEqual({ url: 'http://flag:2/graphql', apiKey: 'k-flag', urlGiven: true });
    // Empty variables count as unset.
    expect(readClientSettings({}, { AUTOML_URL: '', AUTOML_API_KEY: '' })).toMatchObject({
      url: DEFAULT_URL,
      apiKey: null,
      urlGiven: false,
    });
  });

  it('accepts host:port, a base URL or the /graphql URL', () => {
    expect(normaliseUrl('127.0.0.1:4000')).toBe('http://127.0.0.1:4000/graphql');
    expect(normaliseUrl('https://ml.example.com/')).toBe('https://ml.example.com/graphql');
    expect(normaliseUrl('http://proxy/automl/graphql')).toBe('http://proxy/automl/graphql');
    expect(() => normaliseUrl('ftp://x')).toThrow(
      new UsageError('--url must be an http:// or https:// URL (got ftp://)'),
    );
    expect(() => normaliseUrl('http://')).toThrow(UsageError);
    expect(() => readClientSettings({ 'api-key': '  ' }, {})).toThrow('--api-key is empty');
  });
});
