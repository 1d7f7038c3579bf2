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
        'Read-only REST API over the trips platform: weekly averages by region or bounding box, groups of similar trips, ingestion status and rejected rows, the known region names, and two insights. All JSON fields are camelCase; errors are `{ statusCode, error: { code, message, details } }`.',
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
        if (param.example === undefined && param.schema.example !== undefined)
          param.example = param.schema.example as unknown;
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
  const gateway = env.UPLOAD_GATEWAY_PUBLIC_URL;
  const csv = {
    schema: { type: 'string' as const, description: 'The CSV text' },
    example:
      'region,origin_coord,destination_coord,datetime,datasource\nPrague,POINT (14.4973794438195 50.00136875782316),POINT (14.43109483523328 50.04052930943246),2018-05-28 09:03:40,funny_car\n',
  };
  const gzip = {
    schema: { type: 'string' as const, format: 'binary', description: 'A gzip-compressed CSV (a .csv.gz file)' },
  };
  const error = (code: string, message: string) => ({
    'application/json': { example: { statusCode: 400, error: { code, message } } },
  });
  path.post = {
    tags: [UPLOAD_TAG],
    summary: `Upload a trips CSV — served by the upload-gateway (${gateway}), not by this API`,
    description: [
      `**This operation is served by the upload-gateway process** (\`UPLOAD_GATEWAY_PUBLIC_URL\`, default port 3000); "Try it out" sends it there. Full reference: ${gateway}/docs.`,
      'Streams the CSV into Kafka in chunks of whole records without holding the file in memory and answers **202 once the whole body is in Kafka**; bronze, silver and gold are built asynchronously (starting while the upload still arrives). Follow the ingestion with `GET /api/v1/ingestions/{id}` on this API, or live over socket.io on the notifier.',
      'Body: the CSV itself (`text/csv`), gzip bytes (`application/gzip`, or `Content-Encoding: gzip`), or a `multipart/form-data` form with the file in the `file` part. The header must contain `region,origin_coord,destination_coord,datetime,datasource` (any order, case-insensitive; extra columns are ignored). Coordinates are WKT `POINT (<lon> <lat>)` — longitude first; datetime `YYYY-MM-DD HH:MM:SS`, local time without a zone.',
      'Rows that fail validation do not fail the upload: they are counted and listed with line and reason at `GET /api/v1/ingestions/{id}/rejections`.',
    ].join('\n\n'),
    operationId: 'uploadTrips',
    servers: [{ url: gateway, description: 'upload-gateway' }],
    parameters: [
      {
        name: 'X-File-Name',
        in: 'header',
        required: false,
        description: "File name to record with a raw body (multipart uses the part's filename).",
        schema: { type: 'string' },
        example: 'trips.csv',
      },
      {
        name: 'X-Ingestion-Id',
        in: 'header',
        required: false,
        description: 'Client-chosen ingestion id (a new UUID), e.g. to subscribe to its events before uploading.',
        schema: { type: 'string', format: 'uuid' },
      },
      {
        name: 'Content-Encoding',
        in: 'header',
        required: false,
        description: '`gzip` for a gzip-compressed body.',
        schema: { type: 'string', enum: ['gzip', 'identity'] },
      },
    ],
    requestBody: {
      required: true,
      content: {
        'text/csv': csv,
        'application/gzip': gzip,
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file'],
            properties: { file: { type: 'string', format: 'binary', description: 'The CSV or .csv.gz file' } },
          },
        },
      },
    },
    responses: {
      '202': {
        description: 'The whole upload is in Kafka; processing continues asynchronously. `Location` = `statusUrl`.',
        content: {
          'application/json': {
            example: {
              ingestionId: '0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
              state: 'processing',
              statusUrl: `${env.QUERY_API_PUBLIC_URL}/api/v1/ingestions/0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11`,
              socket: {
                url: env.NOTIFIER_PUBLIC_URL,
                namespace: '/ingestions',
                room: 'ingestion:0b7f3a4e-7a55-4c59-9d7f-3c1b2f0f9a11',
                event: 'ingestion.event',
              },
              upload: {
                bytes: 12839,
                rows: 100,
                chunks: 1,
                sha256: '3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b',
              },
            },
          },
        },
      },
      '400': {
        description:
          'Not a CSV, empty, bad gzip or multipart (codes: not_csv, empty_body, bad_gzip, bad_multipart, missing_file_field, invalid_ingestion_id).',
        content: error('not_csv', 'The body is not a CSV file: ...'),
      },
      '409': { description: '`ingestion_exists`: the X-Ingestion-Id is already used.' },
      '413': { description: '`payload_too_large`: more than UPLOAD_MAX_BYTES (decompressed).' },
      '415': { description: '`unsupported_media_type`.' },
      '422': { description: '`missing_columns` / `duplicate_columns` in the header.' },
      '503': { description: '`kafka_unavailable` / `database_unavailable`.' },
    },
  };
  document.tags = [
    ...(document.tags ?? []),
    {
      name: UPLOAD_TAG,
      description: `Served by the upload-gateway process (${gateway}), documented here so the whole flow is in one place.`,
    },
  ];
  return document;
}

export const UPLOAD_TAG = 'upload-gateway (port 3000)';
