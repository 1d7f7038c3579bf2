import { Controller, Get, Header, Inject } from '@nestjs/common';
import { CONFIG, type Env } from '#config';

/** What the dashboard (apps/notifier/public, served at `/`) needs to know about the other services. */
export interface DashboardConfig {
  /** query-api base URL: ingestion list, weekly averages, trip groups. */
  queryApiUrl: string;
  /** Where the upload form POSTs the file (the upload-gateway's ingestions endpoint). */
  uploadUrl: string;
  /** API_TOKEN is set: the page asks for it before uploads and the all-ingestions feed (never the token itself). */
  tokenRequired: boolean;
}

const base = (url: string): string => url.replace(/\/+$/, '');

/**
 * `GET /config.json`: the public URLs of the query-api and the upload-gateway, which only the
 * environment knows; the socket.io server is this service itself, so the page needs no URL for it.
 */
@Controller()
export class DashboardHttpController {
  constructor(@Inject(CONFIG) private readonly env: Env) {}

  @Get('config.json')
  @Header('Cache-Control', 'no-store')
  config(): DashboardConfig {
    return {
      queryApiUrl: base(this.env.QUERY_API_PUBLIC_URL),
      uploadUrl: `${base(this.env.UPLOAD_GATEWAY_PUBLIC_URL)}/api/v1/ingestions`,
      tokenRequired: Boolean(this.env.API_TOKEN),
    };
  }
}
