/**
 * `npm run test:unit`: the pure tests only (`*.spec.ts`: parsers, planners, policies, formats), in
 * seconds, with no build, no Kafka and no PostgreSQL. `npm test` (jest.config.js) runs these and the
 * integration (`*.int-spec.ts`) and end-to-end (`*.e2e-spec.ts`) tests against real services.
 */
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['<rootDir>/{apps,libs,test,examples}/**/*.spec.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
