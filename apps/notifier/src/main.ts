import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootstrapService } from '#common';
import { corsOrigins } from '#config';
import { repoRoot } from '#db';
import { NotifierModule } from './app.module.js';
import { NotifierIoAdapter } from './notifier-io.adapter.js';

const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

/**
 * What the dashboard loads from registry packages, served from node_modules as shipped (no CDN, no
 * build step): the ES modules of topojson-client and the Natural Earth outlines of world-atlas.
 */
const VENDORED: [prefix: string, dir: () => string][] = [
  ['/vendor/topojson-client', () => join(packageDir('topojson-client'), 'src')],
  ['/vendor/world-atlas', () => packageDir('world-atlas')],
];

await bootstrapService(NotifierModule, {
  name: 'notifier',
  portKey: 'NOTIFIER_PORT',
  configure(app, env) {
    app.useWebSocketAdapter(new NotifierIoAdapter(app, corsOrigins(env)));
    // The dashboard (a static page) is served from here when it exists.
    const publicDir = join(repoRoot(), 'apps', 'notifier', 'public');
    if (!existsSync(publicDir)) return;
    const express = app as NestExpressApplication;
    express.useStaticAssets(publicDir);
    // Versioned by package-lock, not by URL: cached for a day, revalidated by ETag after that.
    for (const [prefix, dir] of VENDORED) express.useStaticAssets(dir(), { prefix, maxAge: '1d' });
  },
  // The dashboard reads query-api and uploads to the gateway.
  connectSources: (env) => [new URL(env.QUERY_API_PUBLIC_URL).origin, new URL(env.UPLOAD_GATEWAY_PUBLIC_URL).origin],
});
