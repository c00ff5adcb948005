// The documentation stays true to the tree: every relative link (and #anchor) in README.md and
// docs/*.md leads somewhere, and the configuration table lists exactly the settings the
// environment model reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Markdown text without fenced code blocks (their `#` lines are not headings, `](x)` not links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(
      (heading ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- _]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return anchors;
}

/** Relative links of a page: [text](target), without URLs, mail addresses or pure anchors on http. */
function linksOf(markdown: string): string[] {
  const links: string[] = [];
  for (const [, target] of prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (target && !/^[a-z]+:/i.test(target)) links.push(target);
  }
  return links;
}

describe('documentation links', () => {
  it('computes anchors as GitHub does', () => {
    expect([...anchorsOf('# The SDK (`packages/sdk`)\n## API keys\n```\n# not a heading\n```\n')]).toEqual([
      'the-sdk-packagessdk',
      'api-keys',
    ]);
  });

  it.each(pages)('every relative link in %s resolves', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const broken: string[] = [];
    for (const link of linksOf(text)) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? join(root, page) : resolve(dirname(join(root, page)), path);
      if (!existsSync(target)) {
        broken.push(`${link}: no such file`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link}: no heading with that anchor`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README stays a newcomer page: the two commands first, at most 140 lines', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(140);
    const commands = [...readme.matchAll(/^npx -y pnpm@12\.4\.2 install && npx -y pnpm@12\.4\.2 (\w+)$/gm)];
    expect(commands.map((match) => match[1])).toEqual(['start', 'test']);
  });
});

describe('configuration table', () => {
  /** Every setting the environment model reads: the keys of its zod object. */
  function settingsRead(): string[] {
    const source = readFileSync(join(root, 'packages/config/src/environment.ts'), 'utf8');
    const body = source.slice(source.indexOf('const environmentSchema = z.object({'));
    const object = body.slice(0, body.indexOf('\n});'));
    return [...object.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1] as string);
  }

  /** The variables named in the first column of docs/configuration.md's table. */
  function settingsDocumented(): string[] {
    const page = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
    const names: string[] = [];
    for (const [, firstCell] of page.matchAll(/^\| ([^|]+) \|/gm)) {
      for (const [, name] of (firstCell ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.push(name as string);
    }
    return names;
  }

  it('reads the settings it checks (the parser finds the model)', () => {
    const read = settingsRead();
    expect(read).toContain('DATABASE_URL');
    expect(read).toContain('N_ESTIMATORS');
    expect(read.length).toBeGreaterThan(50);
  });

  it('lists exactly the settings packages/config reads, each once', () => {
    const documented = settingsDocumented();
    expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
    expect([...documented].sort()).toEqual([...settingsRead()].sort());
  });
});
