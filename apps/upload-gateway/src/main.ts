import type { Server } from 'node:http';
import { bootstrapService } from '#common';
import { UploadGatewayModule } from './app.module.js';
import { setupOpenApi } from './openapi.js';

await bootstrapService(UploadGatewayModule, {
  name: 'upload-gateway',
  portKey: 'UPLOAD_GATEWAY_PORT',
  configure(app, env) {
    const server = app.getHttpServer() as Server;
    // Node's default limit for a whole request (300 s) would cut multi-GB uploads; an idle limit
    // still drops clients that stop sending (and survives pauses while Kafka applies backpressure).
    server.requestTimeout = 0;
    server.timeout = env.UPLOAD_IDLE_TIMEOUT_MS;
    setupOpenApi(app, env);
  },
});
