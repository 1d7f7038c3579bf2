import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Env } from '#config';
import { REQUIRED_COLUMNS } from '#contracts';

const SAMPLE = `${REQUIRED_COLUMNS.join(',')}\nPrague,POINT (14.4973794438195 50.00136875782316),POINT (14.43109483523328 50.04052930943246),2018-05-28 09:03:40,funny_car\n`;

/**
 * The upload's request body differs per media type (CSV text, gzip bytes, a form with a `file`
 * part), which the decorators cannot express: it is written here, once, in OpenAPI terms.
 */
export function describeUploadBody(document: OpenAPIObject): OpenAPIObject {
  const operation = document.paths['/api/v1/ingestions']?.post;
  if (!operation) return document;
  const csv = {
    schema: {
      type: 'string',
      description: `CSV text: a header with ${REQUIRED_COLUMNS.join(', ')} (any order, extra columns ignored), then one trip per record`,
    },
    example: SAMPLE,
  };
  const gzip = { schema: { type: 'string', format: 'binary', description: 'A gzip-compressed CSV (e.g. a .gz file)' } };
  operation.requestBody = {
    required: true,
    description:
      'The CSV, as the raw body or as the `file` part of a form; gzip-compressed or not. Limit: `UPLOAD_MAX_BYTES` decompressed bytes.',
    content: {
      'text/csv': csv,
      'application/csv': csv,
      'text/plain': csv,
      'application/gzip': gzip,
      'application/x-gzip': gzip,
      'application/octet-stream': {
        schema: { type: 'string', format: 'binary', description: 'Accepted only when the bytes are gzip' },
      },
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          properties: {
            file: {
              type: 'string',
              format: 'binary',
              description: 'The CSV or .csv.gz file; its filename is recorded. Other fields are ignored.',
            },
          },
        },
      },
    },
  };
  return document;
}

/** Swagger UI at `/docs`, the document at `/docs-json`. */
export function setupOpenApi(app: INestApplication, env: Env): void {
  const config = new DocumentBuilder()
    .setTitle('Trips upload gateway')
    .setDescription(
      'Streams CSV uploads of trips into Kafka. Status and queries: query-api ' +
        `(${env.QUERY_API_PUBLIC_URL}/docs); live events: socket.io on the notifier (${env.NOTIFIER_PUBLIC_URL}, namespace /ingestions).`,
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API_TOKEN, when the deployment sets one' })
    .build();
  const document = describeUploadBody(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('docs', app, document);
}
