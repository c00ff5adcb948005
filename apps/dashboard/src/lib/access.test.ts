import { describe, expect, it } from 'vitest';
import { nextPath, reasonMessage } from './access.ts';

describe('nextPath', () => {
  it('keeps a path of this dashboard with its query', () => {
    expect(nextPath('/models')).toBe('/models');
    expect(nextPath('/drift/12?feature=x0')).toBe('/drift/12?feature=x0');
  });

  it('refuses anything that would leave the dashboard, or loop back to sign-in', () => {
    for (const next of [
      null,
      '',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'models',
      '/signin',
      '/auth/link?token=x',
    ])
      expect(nextPath(next), String(next)).toBe('/');
  });
});

describe('reasonMessage', () => {
  it('words the known reasons and ignores the rest', () => {
    expect(reasonMessage('link-used')).toContain('already used');
    expect(reasonMessage('signed-out')).toBe('You signed out.');
    expect(reasonMessage('<script>')).toBeNull();
    expect(reasonMessage(null)).toBeNull();
  });
});
