import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '#db';
import type { MatchMode } from '../area/area.js';
import { planCount, shardOf } from '../area/count-plan.js';
import { boxCells, type Bbox } from '../area/grid.js';
import { arrayLiteral, renderCount, type CountScope } from './count-sql.js';

const G = 0.01;
const ALL_DATA: CountScope = {
  firstWeek: '2018-01-01',
  lastWeek: '2018-12-31',
  endExclusive: '2019-01-07',
  spansAllData: true,
};

/** Representative boxes: what docs/box-count-sql.md shows, rendered. */
const EXAMPLES: { title: string; box: Bbox; match: MatchMode; scope: CountScope }[] = [
  {
    title: 'A street (under one cell), origin',
    box: { minLon: 14.4213, minLat: 50.0871, maxLon: 14.4251, maxLat: 50.0893 },
    match: 'origin',
    scope: ALL_DATA,
  },
  {
    title: 'A district (4 × 4 cells), both ends: the pairs staying in R looked up directly',
    box: { minLon: 14.4013, minLat: 50.0617, maxLon: 14.4452, maxLat: 50.1049 },
    match: 'both',
    scope: ALL_DATA,
  },
  {
    title:
      'A city (50 × 50 cells), either end, one datasource and a period: trips starting in R minus the pairs leaving it',
    box: { minLon: 14.2013, minLat: 49.9017, maxLon: 14.7052, maxLat: 50.4049 },
    match: 'any',
    scope: { firstWeek: '2018-03-05', lastWeek: '2018-04-30', endExclusive: '2018-05-07', datasourceId: 2 },
  },
];

const render = (e: (typeof EXAMPLES)[number]) =>
  renderCount(planCount(e.box, boxCells(e.box, G), G, e.match), e.scope)!;

function document(): string {
  const sections = EXAMPLES.map((e) => {
    const { sql, values } = render(e);
    const shown = values.map((v, i) => `-- $${i + 1} = ${JSON.stringify(v).slice(0, 160)}`).join('\n');
    return `## ${e.title}\n\n\`bbox=${e.box.minLon},${e.box.minLat},${e.box.maxLon},${e.box.maxLat}&match=${e.match}\`\n\n\`\`\`sql\n${shown}\n${sql}\n\`\`\``;
  });
  return `# Box counts as PostgreSQL runs them

Rendered by \`apps/query-api/src/trips/count-sql.ts\` from the plans of
\`apps/query-api/src/area/count-plan.ts\` (grid 0.01°), for a few representative boxes; docs/architecture.md,
"Area queries", explains the parts. \`count-sql.spec.ts\` keeps this file current: after a change to the
planner or the renderer, \`UPDATE_SQL_EXAMPLES=1 npm run test:unit -- count-sql\` rewrites it.

${sections.join('\n\n')}
`;
}

describe('renderCount', () => {
  it('binds every value once, numbered in order, each used by the statement', () => {
    for (const e of EXAMPLES) {
      for (const plan of [0, 1].map((no) => shardOf(planCount(e.box, boxCells(e.box, G), G, e.match), { no, of: 2 }))) {
        const rendered = renderCount(plan, e.scope);
        if (!rendered) continue;
        const used = new Set([...rendered.sql.matchAll(/\$(\d+)::/g)].map((m) => Number(m[1])));
        expect([...used].sort((a, b) => a - b)).toEqual(rendered.values.map((_, i) => i + 1));
      }
    }
  });

  it('binds numeric arrays as PostgreSQL array literals that read back as the same numbers', () => {
    const values = [0, 7, -3, 2 ** 53 - 1, 14.4194, -0.000001, 1e-7, 12.5e20, Infinity, -Infinity];
    const literal = arrayLiteral(values);
    expect(literal).toMatch(/^\{[^{}"\s]*\}$/);
    expect(literal.slice(1, -1).split(',').map(Number)).toEqual(values);
    expect(arrayLiteral([])).toBe('{}');
    expect(() => arrayLiteral([1, NaN])).toThrow(/NaN/);
  });

  it('renders nothing for a plan without parts', () => {
    const box = { minLon: 1, minLat: 1, maxLon: 1.5, maxLat: 1.5 };
    expect(renderCount({ box, cells: boxCells(box, G), regionEdgeCells: [], parts: [] }, ALL_DATA)).toBeUndefined();
  });

  it('docs/box-count-sql.md shows the statements as rendered today', () => {
    const path = join(repoRoot(), 'docs', 'box-count-sql.md');
    if (process.env.UPDATE_SQL_EXAMPLES === '1') writeFileSync(path, document());
    expect(readFileSync(path, 'utf8')).toBe(document());
  });
});
