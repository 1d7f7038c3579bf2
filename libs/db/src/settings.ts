import type pg from 'pg';

/** A setting differs from the value the database was built with; no retry can fix it. */
export class FixedSettingsMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixedSettingsMismatch';
  }
}

/**
 * Records the grid settings on first use and refuses a later boot with different ones: gold rows
 * computed with another cell size or bucket length would be silently incomparable: throws
 * {@link FixedSettingsMismatch}.
 */
export async function checkFixedSettings(pool: pg.Pool, settings: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(settings)) {
    const { rows } = await pool.query<{ value: string }>(
      `INSERT INTO meta.settings (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING value`,
      [key, value],
    );
    if (rows[0].value !== value) {
      throw new FixedSettingsMismatch(
        `setting ${key}=${value} differs from the ${rows[0].value} this database was built with`,
      );
    }
  }
}
