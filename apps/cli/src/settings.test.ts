import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { DEFAULT_URL, normaliseUrl, PIPELINE_NAME, readClientSettings, readPipeline } from './settings.ts';

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

  it('reads the pipeline from --pipeline, then AUTOML_PIPELINE, then "default", by the naming rule', () => {
    expect(readPipeline(undefined, {})).toBe('default');
    expect(readPipeline(undefined, { AUTOML_PIPELINE: '' })).toBe('default');
    expect(readPipeline(undefined, { AUTOML_PIPELINE: 'fraud' })).toBe('fraud');
    expect(readPipeline('churn_2', { AUTOML_PIPELINE: 'fraud' })).toBe('churn_2');
    expect(readPipeline('a'.repeat(63), {})).toBe('a'.repeat(63));
    expect(() => readPipeline('Fraud', {})).toThrow(
      new UsageError(
        '--pipeline "Fraud" is not a pipeline name: 1 to 63 lowercase letters, digits, "-" and "_", starting with a letter or digit',
      ),
    );
    expect(() => readPipeline(undefined, { AUTOML_PIPELINE: '-x' })).toThrow(/^AUTOML_PIPELINE "-x" is not/);
    for (const bad of ['', 'a'.repeat(64), '_a', 'a b', 'a/b', 'é']) {
      expect(() => readPipeline(bad, {}), bad).toThrow(UsageError);
    }
    expect(PIPELINE_NAME.test('churn-2026_a')).toBe(true);
  });
});
