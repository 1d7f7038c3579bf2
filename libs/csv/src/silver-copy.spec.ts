import fc from 'fast-check';
import { REQUIRED_COLUMNS } from '#contracts';
import {
  SILVER_COPY_COLUMNS,
  binaryCopyHeader,
  binaryCopyTrailer,
  encodeSilverRows,
  viewOf,
  writeMicros,
} from './silver-copy.js';
import { parseTrips } from './trips.js';

describe('binary COPY of silver rows', () => {
  it('writes the PGCOPY header and trailer', () => {
    expect(binaryCopyHeader().toString('latin1')).toBe('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0');
    expect([...binaryCopyTrailer()]).toEqual([0xff, 0xff]);
    expect(SILVER_COPY_COLUMNS).toHaveLength(15);
  });

  it('encodes a row field by field', () => {
    const text = 'Prague,POINT (14.5 50.25),POINT (-0 -1e-7),2000-01-01 00:00:01,ds\n';
    const parsed = parseTrips(Buffer.from(text), 9, [...REQUIRED_COLUMNS], { cellDegrees: 0.01, bucketMinutes: 30 });
    const t = parsed.trips;
    // Region and datasource ids are int4: past smallint, up to the largest integer.
    const out = encodeSilverRows(t, 3, 4, [40_000], [2 ** 31 - 1]);
    expect(out.length).toBe(148);
    let p = 0;
    const field = (len: number) => {
      expect(out.readInt32BE(p)).toBe(len);
      p += 4 + len;
      return p - len;
    };
    expect(out.readInt16BE(0)).toBe(15);
    p = 2;
    expect(out.readBigInt64BE(field(8))).toBe(9n);
    expect(out.readBigInt64BE(field(8))).toBe(BigInt(t.originCell[0]));
    expect(out.readBigInt64BE(field(8))).toBe(BigInt(t.destinationCell[0]));
    expect([0, 1, 2, 3].map(() => out.readDoubleBE(field(8)))).toEqual([14.5, 50.25, -0, -1e-7]);
    expect(Object.is(out.readDoubleBE(2 + 3 * 12 + 2 * 12 + 4), -0)).toBe(true);
    expect(out.readBigInt64BE(field(8))).toBe(1_000_000n);
    expect([0, 1, 2, 3].map(() => out.readInt32BE(field(4)))).toEqual([3, 4, 40_000, 2 ** 31 - 1]);
    expect([0, 1, 2].map(() => out.readInt16BE(field(2)))).toEqual([0, t.originSub[0], t.destinationSub[0]]);
    expect(p).toBe(out.length);
  });

  it('writes seconds × 10^6 exactly, over the whole timestamp range', () => {
    const buf = Buffer.alloc(12);
    const lo = -63_082_281_600; // 0001-01-01
    const hi = 252_455_615_999; // 9999-12-31 23:59:59
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: lo, max: hi }), fc.constantFrom(lo, hi, 0, -1, 1, 65535, 65536, -65536, -65537)),
        (s) => {
          writeMicros(viewOf(buf), 0, s);
          expect(buf.readInt32BE(0)).toBe(8);
          expect(buf.readBigInt64BE(4)).toBe(BigInt(s) * 1_000_000n);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
