import { bootstrapService } from '#common';
import { QueryApiModule } from './app.module.js';

await bootstrapService(QueryApiModule, { name: 'query-api', portKey: 'QUERY_API_PORT' });
