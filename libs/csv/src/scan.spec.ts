import fc from 'fast-check';
import { RecordChunker, RecordTooLargeError, splitRecords } from './scan.js';

const text = (b: Uint8Array, r: { start: number; end: number }) => Buffer.from(b.subarray(r.start, r.end)).toString();

describe('splitRecords', () => {
  it('splits plain, CRLF and quoted multi-line records with their physical line numbers', () => {
    const buf = Buffer.from('a,b\r\n"x\ny",z\n\n"q""q",1,2\nlast');
    const recs = splitRecords(buf, 2);
    expect(recs.map((r) => text(buf, r))).toEqual(['a,b', '"x\ny",z', '"q""q",1,2', 'last']);
    expect(recs.map((r) => r.line)).toEqual([2, 3, 6, 7]);
    expect(recs.map((r) => r.fields)).toEqual([2, 2, 3, 1]);
    expect(recs.every((r) => !r.unterminated)).toBe(true);
  });

  it('flags an unterminated quote', () => {
    const recs = splitRecords(Buffer.from('ok,1\n"open,2\nmore\n'), 10);
    expect(recs).toHaveLength(2);
    expect(recs[1]).toMatchObject({ line: 11, unterminated: true });
  });

  it('skips blank and CR-only lines', () => {
    expect(splitRecords(Buffer.from('\n\r\n\r\r\na\n'), 1).map((r) => r.line)).toEqual([4]);
  });
});

describe('RecordChunker', () => {
  const chunkAll = (input: Buffer, target: number, pieces: number[], maxRecord?: number) => {
    const c = new RecordChunker(target, 2, maxRecord);
    const out = [];
    let at = 0;
    for (const p of pieces) {
      out.push(...c.push(input.subarray(at, at + p)));
      at += p;
    }
    out.push(...c.push(input.subarray(at)));
    out.push(...c.end());
    return out;
  };

  it('never cuts a record and keeps line numbers and counts consistent with splitRecords', () => {
    const field = fc.oneof(
      fc.stringMatching(/^[a-z0-9 ]{0,6}$/),
      fc.stringMatching(/^[a-z,\n"]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`),
    );
    const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));
    const eol = fc.constantFrom('\n', '\r\n');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(record, eol), { minLength: 0, maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 8, max: 64 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 10 }),
        (rows, trailingEol, target, pieces) => {
          let input = rows.map(([r, e]) => r + e).join('');
          if (!trailingEol && input.endsWith('\n')) input = input.replace(/\r?\n$/, '');
          const buf = Buffer.from(input);
          const expected = splitRecords(buf, 2).map((r) => ({ text: text(buf, r), line: r.line }));
          const chunks = chunkAll(buf, target, pieces);
          const got = chunks.flatMap((c) => {
            expect(c.data[c.data.length - 1]).toBe(0x0a);
            const recs = splitRecords(c.data, c.firstLine);
            expect(recs).toHaveLength(c.records);
            return recs.map((r) => ({ text: text(c.data, r), line: r.line }));
          });
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps chunks near the target size', () => {
    const row = 'Prague,POINT (14.4 50.0),POINT (14.5 50.1),2018-05-28 09:03:40,cheap_mobile\n';
    const chunks = chunkAll(Buffer.from(row.repeat(1000)), 4096, [1000, 7000, 13]);
    expect(chunks.reduce((n, c) => n + c.records, 0)).toBe(1000);
    for (const c of chunks.slice(0, -1)) expect(c.data.length).toBeLessThanOrEqual(4096);
    expect(chunks.map((c) => c.firstLine)).toEqual(chunks.map((_, i) => 2 + i * Math.floor(4096 / row.length)));
  });

  it('counts an unterminated final quoted record once', () => {
    const chunks = chunkAll(Buffer.from('a\n"b\nc'), 1024, []);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].records).toBe(2);
  });

  it('refuses the first record longer than the limit, its line end included, with its line', () => {
    const field = fc.oneof(
      fc.stringMatching(/^[a-z ]{0,30}$/),
      fc.stringMatching(/^[a-z\n]{0,30}$/).map((f) => `"${f}"`),
    );
    const line = fc.array(field, { minLength: 1, maxLength: 3 }).map((f) => f.join(','));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(line, fc.constant('')), { maxLength: 30 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 10 }),
        (lines, eol, trailingEol, max, pieces) => {
          const input = lines.join(eol) + (trailingEol ? eol : '');
          const buf = Buffer.from(input);
          // A record's bytes with its line end; the chunker adds a final \n when the input lacks one.
          const bytesOf = (r: { start: number; end: number }) => {
            const lf = buf.indexOf(0x0a, r.end);
            return lf === -1 ? buf.length - r.start + 1 : lf + 1 - r.start;
          };
          const first = splitRecords(buf, 2).find((r) => bytesOf(r) > max);
          const run = () => chunkAll(buf, 16, pieces, max);
          if (first === undefined) expect(run().reduce((n, c) => n + c.records, 0)).toBe(splitRecords(buf, 2).length);
          else expect(run).toThrow(new RecordTooLargeError(first.line, max));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stops a record without a line end as soon as it passes the limit, without buffering the rest', () => {
    const c = new RecordChunker(1024, 2, 4096);
    expect(c.push(Buffer.from('a,b\n\n"'))).toEqual([]);
    const piece = Buffer.alloc(1024, 'x');
    let pushed = 0;
    const flood = () => {
      for (;;) {
        c.push(piece);
        pushed += piece.length;
      }
    };
    expect(flood).toThrow(new RecordTooLargeError(4, 4096));
    expect(pushed).toBeLessThanOrEqual(4096);
  });
});
