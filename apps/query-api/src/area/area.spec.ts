import { thrownCode } from '../testing/thrown-code.js';
import { parseArea, parseBbox } from './area.js';

describe('parseBbox', () => {
  it('reads minLon,minLat,maxLon,maxLat', () => {
    expect(parseBbox('14.40,50.05, 14.45 ,50.09')).toEqual({
      minLon: 14.4,
      minLat: 50.05,
      maxLon: 14.45,
      maxLat: 50.09,
    });
    expect(parseBbox('-180,-90,180,90')).toEqual({ minLon: -180, minLat: -90, maxLon: 180, maxLat: 90 });
    expect(parseBbox('1e1,2,1e1,2')).toEqual({ minLon: 10, minLat: 2, maxLon: 10, maxLat: 2 });
  });

  it.each([
    ['', 'partial'],
    ['14.4,50.05,14.45', 'partial'],
    ['14.4,50.05,14.45,50.09,1', 'too many'],
    ['14.4,50.05,,50.09', 'empty part'],
    ['a,b,c,d', 'not numeric'],
    ['0x10,1,2,3', 'hex'],
    ['Infinity,1,2,3', 'infinite'],
    ['NaN,1,2,3', 'NaN'],
    ["1,2,3,4' OR 1=1--", 'injection'],
    ['14.5,50,14.4,50.1', 'minLon > maxLon'],
    ['14.4,50.1,14.5,50', 'minLat > maxLat'],
    ['-181,0,0,1', 'longitude range'],
    ['0,0,180.0001,1', 'longitude range'],
    ['0,-90.5,1,1', 'latitude range'],
    ['0,0,1,91', 'latitude range'],
  ])('%j (%s) → 400 invalid_bbox', (bbox) => {
    expect(thrownCode(() => parseBbox(bbox))).toBe('400 invalid_bbox');
  });
});

describe('parseArea', () => {
  it('region or bbox, exactly one', () => {
    expect(parseArea({ region: ' Prague ' })).toEqual({ kind: 'region', region: 'Prague' });
    expect(parseArea({ bbox: '1,2,3,4' })).toEqual({
      kind: 'bbox',
      bbox: { minLon: 1, minLat: 2, maxLon: 3, maxLat: 4 },
      match: 'both',
    });
    expect(parseArea({ bbox: '1,2,3,4', match: 'ANY' })).toMatchObject({ match: 'any' });
    expect(thrownCode(() => parseArea({}))).toBe('400 missing_area');
    expect(thrownCode(() => parseArea({ region: '  ' }))).toBe('400 missing_area');
    expect(thrownCode(() => parseArea({ region: 'Prague', bbox: '1,2,3,4' }))).toBe('400 ambiguous_area');
    expect(thrownCode(() => parseArea({ region: ['Prague', 'Turin'] }))).toBe('400 ambiguous_area');
    expect(thrownCode(() => parseArea({ bbox: '' }))).toBe('400 invalid_bbox');
    expect(thrownCode(() => parseArea({ bbox: '1,2,3,4', match: 'inside' }))).toBe('400 invalid_match');
  });
});
