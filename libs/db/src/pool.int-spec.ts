import { testEnv } from '#testing';
import { createPool } from './pool.js';

describe('createPool', () => {
  it('sends the session settings as startup options of each connection', async () => {
    const pool = createPool(testEnv().DATABASE_URL, 2, 'trips-pool-test', {
      jit: 'off',
      max_parallel_workers_per_gather: '0',
      statement_timeout: '1234',
    });
    try {
      const { rows } = await pool.query<{ jit: string; workers: string; timeout: string; app: string }>(
        `SELECT current_setting('jit') AS jit, current_setting('max_parallel_workers_per_gather') AS workers,
                current_setting('statement_timeout') AS timeout, current_setting('application_name') AS app`,
      );
      expect(rows[0]).toEqual({ jit: 'off', workers: '0', timeout: '1234ms', app: 'trips-pool-test' });
    } finally {
      await pool.end();
    }
  });
});
