import { bootstrapService } from '#common';
import { TransformerModule } from './app.module.js';
import { BronzeWorkConsumer } from './transform/bronze-work.consumer.js';

await bootstrapService(TransformerModule, {
  name: 'transformer',
  portKey: 'TRANSFORMER_PORT',
  // Grid settings other than the database's: the consumer does not start, and the process exits.
  refusal: (app) => app.get(BronzeWorkConsumer).refusal,
});
