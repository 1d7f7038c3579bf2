import { areaError, weeklyUrl } from './weekly-request.js';

describe('trips weekly: the request', () => {
  it('sends only the parameters given, encoded, to the weekly-average endpoint', () => {
    expect(weeklyUrl('http://localhost:3001', { region: 'São Paulo' }).toString()).toBe(
      'http://localhost:3001/api/v1/trips/weekly-average?region=S%C3%A3o+Paulo',
    );
    expect(
      weeklyUrl('http://127.0.0.1:4000/', {
        weeks: 'active',
        bbox: '7.5415091,45.091605,10.0588964,53.4948642',
        match: 'both',
        from: '2018-05-01',
        to: '2018-05-31',
        datasource: 'cheap_mobile',
      }).search,
    ).toBe(
      '?bbox=7.5415091%2C45.091605%2C10.0588964%2C53.4948642&match=both&from=2018-05-01&to=2018-05-31&datasource=cheap_mobile&weeks=active',
    );
  });

  it('needs exactly one of --region and --bbox; --match only with --bbox', () => {
    expect(areaError({ region: 'Prague' })).toBeUndefined();
    expect(areaError({ bbox: '1,2,3,4', match: 'any' })).toBeUndefined();
    expect(areaError({})).toMatch(/--region NAME or --bbox/);
    expect(areaError({ region: 'Prague', bbox: '1,2,3,4' })).toMatch(/not both/);
    expect(areaError({ region: 'Prague', match: 'both' })).toMatch(/--match applies to --bbox only/);
  });
});
