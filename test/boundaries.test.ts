// The import direction, checked: apps → core → {db, ml, drift, config}, nothing back up. Each
// workspace package may import only the packages listed for it below (its package.json says the
// same), never another package's files by relative path, and only what that package's `exports`
// map offers (core offers its services, not its storage modules).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Workspace packages each package's sources may import. */
const ALLOWED: Record<string, string[]> = {
  'packages/config': [],
  'packages/drift': [],
  'packages/ml': [],
  'packages/streams': [],
  'packages/sdk': [],
  'packages/db': [],
  'packages/table': [],
  'packages/core': ['config', 'db', 'ml', 'drift', 'table'],
  'apps/server': ['config', 'core', 'db', 'table'],
  'apps/worker': ['config', 'core', 'db'],
  'apps/cli': ['config', 'core', 'db', 'sdk', 'server', 'streams', 'table'],
  'apps/dashboard': ['sdk'],
};

/**
 * Files one package may reach by relative path, with the reason. `start` launches the dashboard as
 * a process and asks its plain-JS helper whether the build is older than its sources; the dashboard
 * is a SvelteKit app, not a library with an `exports` map.
 */
const RELATIVE_EXCEPTIONS: Record<string, string[]> = {
  'apps/cli': ['apps/dashboard/build-freshness.js'],
};

/**
 * Within a package, the folder that alone may import some of its allowed packages: the CLI talks
 * to a platform through the SDK, and only its in-process launcher (`start`, `keys`) loads the
 * server, core and the database.
 */
const ONLY_FROM: Record<string, { folder: string; packages: string[] }> = {
  'apps/cli': { folder: 'apps/cli/src/local/', packages: ['core', 'server', 'db'] },
};

interface SourceFile {
  /** Path from the repository root, with forward slashes. */
  path: string;
  source: string;
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g))
    found.push(m[1]!);
  for (const m of source.matchAll(/(?:^|\s)import\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The package (e.g. `packages/core`) a repository path belongs to. */
function packageOf(path: string): string | undefined {
  const [area, name] = path.split('/');
  const key = `${area}/${name}`;
  return key in ALLOWED ? key : undefined;
}

/** Every import that goes the wrong way, as "file: import (why)". */
export function violations(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const owner = packageOf(file.path);
    if (!owner) continue;
    for (const spec of importsOf(file.source)) {
      const workspace = /^@automl-stream\/([a-z-]+)(\/.*)?$/.exec(spec);
      if (workspace) {
        const target = workspace[1]!;
        const only = ONLY_FROM[owner];
        if (only?.packages.includes(target) && !file.path.startsWith(only.folder)) {
          problems.push(`${file.path}: ${spec} (only ${only.folder} may import ${only.packages.join(', ')})`);
        } else if (!ALLOWED[owner]!.includes(target)) {
          problems.push(
            `${file.path}: ${spec} (${owner} may import ${ALLOWED[owner]!.join(', ') || 'no workspace package'})`,
          );
        }
        continue;
      }
      if (spec.startsWith('.')) {
        const targetPath = relative(root, resolve(root, dirname(file.path), spec))
          .split(sep)
          .join('/');
        if (RELATIVE_EXCEPTIONS[owner]?.includes(targetPath)) continue;
        const target = packageOf(targetPath);
        if (target !== owner)
          problems.push(`${file.path}: ${spec} (reaches into ${target ?? 'a path outside its package'})`);
      }
    }
  }
  return problems;
}

function sourcesUnder(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|js|svelte)$/.test(name)) {
        files.push({ path: relative(root, full).split(sep).join('/'), source: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(dir);
  return files;
}

describe('package boundaries', () => {
  it('no source file imports against the direction', () => {
    const files = Object.keys(ALLOWED).flatMap((pkg) => sourcesUnder(join(root, pkg, 'src')));
    expect(files.length).toBeGreaterThan(150);
    expect(violations(files)).toEqual([]);
  });

  it('catches a deliberate wrong-way import, by name and by relative path', () => {
    expect(
      violations([
        { path: 'packages/drift/src/bad.ts', source: "import { Platform } from '@automl-stream/core';\n" },
        {
          path: 'packages/core/src/bad.ts',
          source: "export { startServer } from '@automl-stream/server';\n",
        },
        {
          path: 'apps/server/src/bad.ts',
          source: "const storage = await import('../../../packages/core/src/storage/data-storage.ts');\n",
        },
        { path: 'packages/core/src/fine.ts', source: "import { trainForest } from '@automl-stream/ml';\n" },
        { path: 'apps/cli/src/commands/bad.ts', source: "import { ApiKeys } from '@automl-stream/core';\n" },
        { path: 'apps/cli/src/local/fine.ts', source: "import { ApiKeys } from '@automl-stream/core';\n" },
      ]),
    ).toEqual([
      'packages/drift/src/bad.ts: @automl-stream/core (packages/drift may import no workspace package)',
      'packages/core/src/bad.ts: @automl-stream/server (packages/core may import config, db, ml, drift, table)',
      'apps/server/src/bad.ts: ../../../packages/core/src/storage/data-storage.ts (reaches into packages/core)',
      'apps/cli/src/commands/bad.ts: @automl-stream/core (only apps/cli/src/local/ may import core, server, db)',
    ]);
  });

  it('the package.json of each package lists exactly the workspace packages it may import', () => {
    for (const [pkg, allowed] of Object.entries(ALLOWED)) {
      const manifest = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8'));
      const listed = Object.keys(manifest.dependencies ?? {})
        .filter((name) => name.startsWith('@automl-stream/'))
        .map((name) => name.slice('@automl-stream/'.length));
      expect({ pkg, deps: listed.sort() }).toEqual({ pkg, deps: [...allowed].sort() });
    }
  });

  it("core's storage modules are not importable from an app: the exports map refuses them", () => {
    const fromServer = createRequire(join(root, 'apps/server/package.json'));
    expect(fromServer.resolve('@automl-stream/core')).toBe(join(root, 'packages/core/src/index.ts'));
    expect(() => fromServer.resolve('@automl-stream/core/storage/data-storage.ts')).toThrow(
      expect.objectContaining({ code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }),
    );
  });
});
