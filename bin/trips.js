#!/usr/bin/env node
// The `trips` command: runs the compiled CLI (`npm run build` first).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(`trips: ${main} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
await import(pathToFileURL(main).href);
