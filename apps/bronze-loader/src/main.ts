import { bootstrapService } from '#common';
import { BronzeLoaderModule } from './app.module.js';

await bootstrapService(BronzeLoaderModule, { name: 'bronze-loader', portKey: 'BRONZE_LOADER_PORT' });
