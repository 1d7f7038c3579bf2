import {
  Controller,
  DefaultValuePipe,
  Get,
  HttpException,
  HttpStatus,
  NotFoundException,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Query,
} from '@nestjs/common';
import type { LedgerEntry } from './ledger.js';
import { LedgerRepository, type LedgerTotals } from './ledger.repository.js';

/** Reads the ledger. */
@Controller()
export class LedgerHttpController {
  constructor(private readonly ledger: LedgerRepository) {}

  /** Totals over every ingestion seen, and the newest `limit` entries (1–1000, default 100). */
  @Get('ledger')
  list(
    @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number,
  ): Promise<{ totals: LedgerTotals; ingestions: LedgerEntry[] }> {
    return this.ledger.list(Math.min(Math.max(limit, 1), 1000));
  }

  @Get('ledger/:ingestionId')
  async get(@Param('ingestionId', new ParseUUIDPipe()) ingestionId: string): Promise<LedgerEntry> {
    const entry = await this.ledger.get(ingestionId);
    if (!entry) throw new NotFoundException(`no event of ingestion ${ingestionId} has been consumed`);
    return entry;
  }

  @Get('health')
  async health(): Promise<{ status: 'ok' }> {
    try {
      await this.ledger.ping();
    } catch {
      throw new HttpException({ status: 'database_unavailable' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok' };
  }
}
