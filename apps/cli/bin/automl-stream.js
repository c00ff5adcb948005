#!/usr/bin/env node
// Launcher for the workspace bin: runs the TypeScript entry point through tsx's loader, the same
// as `node --import tsx apps/cli/src/main.ts` (no build step), from any working directory.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/main.ts', import.meta.url).href);
