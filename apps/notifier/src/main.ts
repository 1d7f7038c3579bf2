import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootstrapService } from '#common';
import { corsOrigins } from '#config';
import { repoRoot } from '#db';
import { NotifierModule } from './app.module.js';
import { NotifierIoAdapter } from './notifier-io.adapter.js';

await bootstrapService(NotifierModule, {
  name: 'notifier',
  portKey: 'NOTIFIER_PORT',
  configure(app, env) {
    app.useWebSocketAdapter(new NotifierIoAdapter(app, corsOrigins(env)));
    // The dashboard (a static page) is served from here when it exists.
    const publicDir = join(repoRoot(), 'apps', 'notifier', 'public');
    if (existsSync(publicDir)) (app as NestExpressApplication).useStaticAssets(publicDir);
  },
  // The dashboard reads query-api and uploads to the gateway.
  connectSources: (env) => [new URL(env.QUERY_API_PUBLIC_URL).origin, new URL(env.UPLOAD_GATEWAY_PUBLIC_URL).origin],
});
