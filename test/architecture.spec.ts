import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '#db';

const ROOT = repoRoot();

/** The modules a TypeScript file loads at run time: type-only imports are erased by the compiler. */
function runtimeSpecifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  const statement =
    /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(statement)) {
    if (m[4]) {
      specifiers.push(m[4]);
      continue;
    }
    const [, typeOnly, bindings, from] = m;
    const named = /^\{([^}]*)\}$/s.exec(bindings.trim());
    const allTypes =
      named !== null &&
      named[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '));
    if (!typeOnly && !allTypes) specifiers.push(from);
  }
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(m[1]);
  return specifiers;
}

/** Every source file and package reached from `entry` through run-time imports. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of runtimeSpecifiers(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!existsSync(target)) throw new Error(`${relative(ROOT, file)}: cannot resolve ${spec}`);
        visit(target);
      } else if (spec.startsWith('#')) {
        visit(join(ROOT, 'libs', spec.slice(1), 'src', 'index.ts'));
      } else {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  };
  visit(join(ROOT, entry));
  return { files, packages };
}

describe('module boundaries', () => {
  it('query-api loads no Kafka code: neither libs/kafka nor kafkajs is reachable from its main.ts', () => {
    const { files, packages } = importGraph('apps/query-api/src/main.ts');
    expect([...files].map((f) => relative(ROOT, f)).filter((f) => f.startsWith('libs/kafka/'))).toEqual([]);
    expect(packages.has('kafkajs')).toBe(false);
    // The walk does follow imports: the libraries query-api uses are reached.
    expect(packages.has('pg')).toBe(true);
    expect(files.has(join(ROOT, 'libs/common/src/health.checks.ts'))).toBe(true);
  });

  it('the services that use Kafka do reach it (the walk sees what query-api would)', () => {
    for (const service of ['upload-gateway', 'bronze-loader', 'transformer', 'notifier']) {
      expect({ service, kafkajs: importGraph(`apps/${service}/src/main.ts`).packages.has('kafkajs') }).toEqual({
        service,
        kafkajs: true,
      });
    }
  });
});
