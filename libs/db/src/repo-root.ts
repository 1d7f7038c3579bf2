import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding sql/), found from this file in src or in dist. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'sql', 'migrations'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root (folder with sql/migrations) not found');
}

/** Absolute path of a file under sql/. */
export const sqlPath = (...parts: string[]): string => join(repoRoot(), 'sql', ...parts);
