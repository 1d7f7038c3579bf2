import { bootstrapService } from '#common';
import { UploadGatewayModule } from './app.module.js';

await bootstrapService(UploadGatewayModule, { name: 'upload-gateway', portKey: 'UPLOAD_GATEWAY_PORT' });
