import { bootstrapService } from '#common';
import { TransformerModule } from './app.module.js';

await bootstrapService(TransformerModule, { name: 'transformer', portKey: 'TRANSFORMER_PORT' });
