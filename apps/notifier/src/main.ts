import { bootstrapService } from '#common';
import { NotifierModule } from './app.module.js';

await bootstrapService(NotifierModule, { name: 'notifier', portKey: 'NOTIFIER_PORT' });
