import { fullPages } from './segment.repository.js';

describe('fullPages', () => {
  it('fills the leaf pages of an index without options', () => {
    expect(fullPages(' USING btree (origin_cell, origin_sub) INCLUDE (origin_lat)')).toBe(
      ' USING btree (origin_cell, origin_sub) INCLUDE (origin_lat) WITH (fillfactor = 100)',
    );
  });

  it('puts the option before a partial index predicate', () => {
    expect(fullPages(' USING btree (trip_count DESC, region_id) WHERE (trip_count > 1)')).toBe(
      ' USING btree (trip_count DESC, region_id) WITH (fillfactor = 100) WHERE (trip_count > 1)',
    );
  });

  it('keeps options an index already has', () => {
    const definition = " USING btree (week_start) WITH (fillfactor='70')";
    expect(fullPages(definition)).toBe(definition);
  });
});
