import { envSchema } from '#config';
import { cliDefaults, DEFAULT_URLS } from './cli-defaults.js';

describe('CLI defaults', () => {
  it('match the services’ configuration defaults', () => {
    expect(DEFAULT_URLS).toEqual({
      gatewayUrl: envSchema.shape.UPLOAD_GATEWAY_PUBLIC_URL.parse(undefined),
      notifierUrl: envSchema.shape.NOTIFIER_PUBLIC_URL.parse(undefined),
      queryApiUrl: envSchema.shape.QUERY_API_PUBLIC_URL.parse(undefined),
    });
  });

  it('take the public URLs from the environment, ignoring empty values', () => {
    expect(cliDefaults({ UPLOAD_GATEWAY_PUBLIC_URL: 'http://gw:1', NOTIFIER_PUBLIC_URL: '' })).toEqual({
      ...DEFAULT_URLS,
      gatewayUrl: 'http://gw:1',
    });
  });
});
