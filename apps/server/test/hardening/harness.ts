/**
 * Test harness for the hardening and reliability suites: the server as a real child process
 * (`node --import tsx apps/server/src/main.ts`, the way it runs in production), keys, raw HTTP and
 * WebSocket clients. Root `test/reliability/*` imports this file by relative path: the root has no
 * node_modules of its own, and bare imports here resolve from apps/server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKeys } from '@automl-stream/core';
import { createDb, type DbHandle } from '@automl-stream/db';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export { createDb, createTestDatabase, type DbHandle, type TestDatabase };

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A key in the platform's format, usable as ADMIN_API_KEY. */
export const newApiKey = () =>
  `ams_${randomBytes(4).toString('hex')}_${randomBytes(24).toString('base64url')}`;

/** Creates a key of `role` directly in the database (the CLI's `keys create` does the same). */
export async function createKey(sql: DbHandle['sql'], role: 'admin' | 'writer' | 'reader', name = role) {
  return (await new ApiKeys(sql).create(`${name} ${randomBytes(3).toString('hex')}`, role)).key;
}

/** Server processes still running, killed when the test process exits (a failed test's leftovers). */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  graphqlUrl: string;
  wsUrl: string;
  adminKey: string;
  /** Everything the process wrote, for failure messages. */
  output: string[];
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until the process exits. */
  readonly running: boolean;
  /** SIGTERM and wait (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the server entry point as a child process on a free port and waits until it listens
 * (the port is read from its "listening" log line, so LOG_LEVEL must stay at info or below).
 * `env` adds settings (names as in docs/configuration.md); the defaults keep it quiet
 * and quick: small forests, no scheduled drift checks, workers in the process.
 */
export async function spawnServer(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  adminKey?: string;
  startTimeoutMs?: number;
}): Promise<ServerProcess> {
  const adminKey = options.adminKey ?? newApiKey();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: options.databaseUrl,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      ADMIN_API_KEY: adminKey,
      N_ESTIMATORS: '20',
      TRAIN_THREADS: '1',
      CHECK_INTERVAL_SECONDS: '3600',
      QUEUE_MAINTENANCE_SECONDS: '5',
      ...options.env,
    },
  });
  liveChildren.add(child);
  const output: string[] = [];
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a process behind: one that did not come up is killed.
      child.kill('SIGKILL');
      reject(
        new Error(
          `the server did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${output.join('')}`,
        ),
      );
    }, options.startTimeoutMs ?? 60_000);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      buffered += text;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line.includes('automl-stream server listening')) continue;
        try {
          const listening = (JSON.parse(line) as { url: string }).url;
          clearTimeout(timer);
          resolve(listening.replace(/\/graphql$/, ''));
        } catch {
          // not a log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before listening:\n${output.join('')}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `${url.replace('http', 'ws')}/graphql`,
    adminKey,
    output,
    exited,
    get running() {
      return running;
    },
    stop: async (timeoutMs = 20_000) => {
      if (!running) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export interface GraphQLAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  /** The raw body when it was not JSON. */
  text?: string;
}

/** POSTs a GraphQL operation and returns status, headers and the parsed body. */
export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  key: string | null = null,
): Promise<GraphQLAnswer<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return readAnswer<T>(response);
}

export async function readAnswer<T>(response: Response): Promise<GraphQLAnswer<T>> {
  const text = await response.text();
  try {
    return { status: response.status, headers: response.headers, ...(JSON.parse(text) as object) };
  } catch {
    return { status: response.status, headers: response.headers, text };
  }
}

/** POSTs JSON to a REST route. */
export async function postRest(
  url: string,
  body: unknown,
  key: string | null,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/**
 * Sends a request with node:http, body in the given pieces (chunked when `contentLength` is not
 * given), waiting `gapMs` between pieces, and resolves with the status and body. `beforePiece`
 * runs before each piece after the first (a test's hook to act while the request is in flight).
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    pieces: (string | Buffer)[];
    contentLength?: number;
    gapMs?: number;
    beforePiece?: (index: number) => Promise<void> | void;
  },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'POST',
      headers: {
        ...options.headers,
        ...(options.contentLength !== undefined ? { 'content-length': String(options.contentLength) } : {}),
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      for (let i = 0; i < options.pieces.length; i++) {
        if (answered || req.destroyed) return;
        if (i > 0) {
          await options.beforePiece?.(i);
          if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
        }
        const piece = options.pieces[i]!;
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(reject);
  });
}

/** A graphql-ws client over `ws`; `closed` resolves with the close event's code and reason. */
export function wsClient(url: string, connectionParams?: Record<string, unknown>) {
  let closedWith: (event: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    closedWith = resolve;
  });
  const client: Client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // The close is what the tests look at (through `closed`); the client would also print it.
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const e = event as { code?: number; reason?: string };
        closedWith({ code: e.code ?? 0, reason: String(e.reason ?? '') });
      },
    },
  });
  return { client, closed };
}

/** Subscribes and collects every result; `done` settles when the server completes or fails it. */
export function collect<T>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: {
    data?: T;
    errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
  }[] = [];
  let failure: unknown = null;
  const done = new Promise<void>((resolve) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (r) => results.push(r as (typeof results)[number]),
        error: (e) => {
          failure = e;
          resolve();
        },
        complete: () => resolve(),
      },
    );
  });
  return {
    results,
    done,
    get failure() {
      return failure;
    },
    /** Errors from results (execution) and from a refused operation (graphql-ws `error` message). */
    get errors(): { message: string; extensions?: Record<string, unknown> }[] {
      return [
        ...results.flatMap((r) => r.errors ?? []),
        ...(Array.isArray(failure)
          ? (failure as { message: string; extensions?: Record<string, unknown> }[])
          : []),
      ];
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A learnable labelled batch over 3 features: class = x0 + x1 > 1 (deterministic per seed). */
export function labelledBatch(n: number, seed: number) {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand(), rand(), rand()]);
  const labels = features.map((f) => (f[0]! + f[1]! > 1 ? 1 : 0));
  return { features, labels };
}

export const INGEST = `mutation Ingest($input: IngestInput!) {
  ingest(input: $input) { batchId duplicate rowsStored labelledRows }
}`;
export const PREDICT = `mutation Predict($input: PredictInput!) {
  predict(input: $input) { modelVersion predictions { id label } }
}`;

/** Trains version 1 through the API (retrain mutation, worker in the server) and waits for it to serve. */
export async function trainFirstModel(graphqlUrl: string, adminKey: string, rows = 300) {
  const seed = labelledBatch(rows, 12345);
  const ingest = await postGraphQL(graphqlUrl, INGEST, { input: { ...seed, batchId: 'seed' } }, adminKey);
  if (ingest.errors) throw new Error(`seed ingest failed: ${JSON.stringify(ingest.errors)}`);
  await waitFor(
    async () => {
      const r = await postGraphQL<{ activeModel: { version: number } | null }>(
        graphqlUrl,
        '{ activeModel { version } }',
        {},
        adminKey,
      );
      return r.data?.activeModel?.version ?? undefined;
    },
    'the first model to serve',
    60_000,
  );
}
