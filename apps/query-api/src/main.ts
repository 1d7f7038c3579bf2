import { bootstrapService } from '#common';
import { QueryApiModule } from './app.module.js';
import { setupOpenApi } from './openapi.js';

await bootstrapService(QueryApiModule, { name: 'query-api', portKey: 'QUERY_API_PORT', configure: setupOpenApi });
