import { Controller, Get, Param, Query } from '@nestjs/common';
import { isUuid, type SocketIngestionEvent } from '#contracts';
import { AppError } from '#common';
import { EventsRepository } from './events.repository.js';
import { MAX_SEQ } from './subscribe-request.js';

/** One page of an ingestion's stored events. */
export interface EventsPage {
  ingestionId: string;
  /** Events with seq > the requested afterSeq, in seq order (at most `limit`). */
  events: SocketIngestionEvent[];
  /** The seq to pass as afterSeq for the next page (or to a socket.io subscribe): the last seq returned, else afterSeq. */
  lastSeq: number;
  /** True when more events follow this page. */
  hasMore: boolean;
}

const DEFAULT_LIMIT = 1_000;
const MAX_LIMIT = 1_000;

function intParam(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new AppError(
      400,
      `invalid_${name === 'afterSeq' ? 'after_seq' : name}`,
      `${name} must be an integer between ${min} and ${max}`,
      { [name]: raw },
    );
  }
  return value;
}

/** REST access to the event store, for clients that cannot keep a socket open (or want a page at a time). */
@Controller('api/v1/ingestions')
export class EventsHttpController {
  constructor(private readonly events: EventsRepository) {}

  /** `GET /api/v1/ingestions/:id/events?afterSeq=0&limit=1000`: stored events of one ingestion, in seq order. */
  @Get(':id/events')
  async list(
    @Param('id') id: string,
    @Query('afterSeq') afterSeqRaw?: string,
    @Query('limit') limitRaw?: string,
  ): Promise<EventsPage> {
    if (!isUuid(id))
      throw new AppError(400, 'invalid_ingestion_id', 'the ingestion id must be a UUID', { ingestionId: id });
    const afterSeq = intParam('afterSeq', afterSeqRaw, 0, 0, MAX_SEQ);
    const limit = intParam('limit', limitRaw, DEFAULT_LIMIT, 1, MAX_LIMIT);
    const ingestionId = id.toLowerCase();
    const rows = await this.events.listAfter(ingestionId, afterSeq, undefined, limit + 1);
    const events = rows.slice(0, limit);
    return { ingestionId, events, lastSeq: events.at(-1)?.seq ?? afterSeq, hasMore: rows.length > limit };
  }
}
