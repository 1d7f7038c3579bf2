import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Env } from '#config';
import { DEFINITIONS } from './definitions.js';

/** Swagger UI at `/docs`, the OpenAPI 3 document at `/docs-json`. */
export function setupOpenApi(app: INestApplication, env: Env): void {
  const config = new DocumentBuilder()
    .setTitle('Trips query API')
    .setDescription(
      [
        'Read-only REST API over the trips platform: weekly averages by region or bounding box, groups of similar trips, ingestion status and rejected rows, and two insights. All JSON fields are camelCase; errors are `{ statusCode, error: { code, message, details } }`.',
        `Uploads go to the upload-gateway (${env.UPLOAD_GATEWAY_PUBLIC_URL}); live progress is pushed by the notifier over socket.io (${env.NOTIFIER_PUBLIC_URL}, namespace /ingestions).`,
        '## Definitions',
        ...Object.values(DEFINITIONS).map((d) => `- ${d}`),
      ].join('\n\n'),
    )
    .setVersion('1')
    .addServer(env.QUERY_API_PUBLIC_URL, 'query-api')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, documentUpload(liftParameterExamples(document), env));
}

/**
 * @nestjs/swagger files a query parameter's example under its schema and leaves the type out;
 * Swagger UI pre-fills "Try it out" from the parameter's own `example`, so it is lifted there.
 */
export function liftParameterExamples(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.post, item.put, item.delete, item.patch]) {
      for (const param of operation?.parameters ?? []) {
        if (!('in' in param) || !param.schema || '$ref' in param.schema) continue;
        param.schema.type ??= 'string';
        if (param.example === undefined && param.schema.example !== undefined) param.example = param.schema.example;
      }
    }
  }
  return document;
}

/**
 * The upload itself is served by another process (upload-gateway): its operation is added here with
 * an operation-level `servers` override, so "Try it out" posts to the gateway.
 */
export function documentUpload(document: OpenAPIObject, env: Env): OpenAPIObject {
  const path = (document.paths['/api/v1/ingestions'] ??= {});
  const csv = {
    schema: { type: 'string' as const },
    example: 'region,origin_coord,destination_coord,datetime,datasource\nPrague,POINT (14.4973794438195 50.00136875782316),POINT (14.43109483523328 50.04052930943246),2018-05-28 09:03:40,funny_car\n',
  };
  path.post = {
    tags: [UPLOAD_TAG],
    summary: `Upload a CSV of trips (served by the upload-gateway at ${env.UPLOAD_GATEWAY_PUBLIC_URL}, not by this API)`,
    description: [
      'Streams the CSV into the platform. The body is the CSV itself (`text/csv`), a gzip-compressed CSV (`application/gzip`), or a `multipart/form-data` form with the file in the `file` part. Columns: `region,origin_coord,destination_coord,datetime,datasource` in any order (extra columns are ignored); coordinates are WKT `POINT (<lon> <lat>)`; datetime `YYYY-MM-DD HH:MM:SS`, local time without a zone.',
      'Answers 202 with the ingestion id as soon as the header is validated; the rows are processed while the body streams in. Follow progress with `GET /api/v1/ingestions/{id}` here, or live over socket.io (notifier).',
      `Full reference: ${env.UPLOAD_GATEWAY_PUBLIC_URL}/docs.`,
    ].join('\n\n'),
    operationId: 'uploadTrips',
    servers: [{ url: env.UPLOAD_GATEWAY_PUBLIC_URL, description: 'upload-gateway' }],
    parameters: [
      { name: 'x-file-name', in: 'header', required: false, description: 'The file name to record with the ingestion (raw bodies).', schema: { type: 'string' }, example: 'trips.csv' },
    ],
    requestBody: {
      required: true,
      content: {
        'text/csv': csv,
        'application/gzip': { schema: { type: 'string', format: 'binary' } },
        'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } },
      },
    },
    responses: {
      '202': {
        description: 'Accepted: the upload streams on; the ingestion id identifies it everywhere.',
        content: {
          'application/json': {
            schema: { type: 'object', properties: { ingestionId: { type: 'string', format: 'uuid' } } },
            example: { ingestionId: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11' },
          },
        },
      },
      '400': { description: 'Not a CSV, empty, or a required column is missing (codes: not_csv, empty_body, missing_columns, …).' },
      '413': { description: 'Larger than UPLOAD_MAX_BYTES.' },
    },
  };
  document.tags = [...(document.tags ?? []), { name: UPLOAD_TAG, description: `Served by the upload-gateway process (${env.UPLOAD_GATEWAY_PUBLIC_URL}), documented here for completeness.` }];
  return document;
}

export const UPLOAD_TAG = 'upload-gateway (port 3000)';
