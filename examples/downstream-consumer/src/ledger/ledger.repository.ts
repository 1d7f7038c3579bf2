import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import { LEDGER_CONFIG } from '../ledger.tokens.js';
import type { LedgerConfig } from '../ledger.config.js';
import { applyEvent, emptyEntry, noteDuplicate, type AnyIngestionEvent, type LedgerEntry } from './ledger.js';

/** Totals over the ledger. Row figures count completed ingestions only: the ones the platform's answers count. */
export interface LedgerTotals {
  ingestions: number;
  inProgress: number;
  completed: number;
  failed: number;
  /** Completed, then retracted (DELETE): no longer counted by the platform's answers, nor in the row figures here. */
  retracted: number;
  rows: number;
  validRows: number;
  rejectedRows: number;
}

// Serialises schema creation when several instances start at once (CREATE … IF NOT EXISTS can race).
const SCHEMA_LOCK = 0x6c656467; // "ledg"

const SCHEMA_SQL = `
  CREATE SCHEMA IF NOT EXISTS ledger;
  CREATE TABLE IF NOT EXISTS ledger.ingestions (
    ingestion_id uuid PRIMARY KEY,
    state text NOT NULL,
    -- json, not jsonb: keeps LedgerEntry's field order for GET /ledger (only the totals look inside).
    entry json NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  -- One row per event applied: the event-id check that makes a redelivery a no-op.
  CREATE TABLE IF NOT EXISTS ledger.seen_events (
    event_id text PRIMARY KEY,
    ingestion_id uuid NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
  );`;

/** The ledger in our own PostgreSQL database: one row per ingestion, plus the ids of the events applied. */
@Injectable()
export class LedgerRepository implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerRepository.name);
  private readonly pool: pg.Pool;

  constructor(@Inject(LEDGER_CONFIG) private readonly config: LedgerConfig) {
    this.pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 });
    // An idle client whose connection drops emits 'error'; without a listener that would crash the process.
    this.pool.on('error', (error) => this.logger.warn(`idle database connection lost: ${error.message}`));
  }

  /** Creates the database (if missing) and the tables before the consumer starts. */
  async onModuleInit(): Promise<void> {
    await this.createDatabase();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(SCHEMA_SQL);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** After Nest has stopped the Kafka consumer, so the event in flight still reaches the database. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Applies an event exactly once: its id and the new entry are written in one transaction, so a
   * redelivered event (Kafka is at least once) finds its id and only counts as a duplicate. The offset
   * is committed after this resolves; a crash before that replays the event, which then is a duplicate.
   */
  async record(event: AnyIngestionEvent): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Create-then-lock the ingestion's row: two events of one ingestion (possible across a rebalance)
      // are applied one after the other, never both to the same old entry.
      await client.query(
        'INSERT INTO ledger.ingestions (ingestion_id, state, entry) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [event.ingestionId, 'accepted', emptyEntry(event.ingestionId)],
      );
      const { rows } = await client.query<{ entry: LedgerEntry }>(
        'SELECT entry FROM ledger.ingestions WHERE ingestion_id = $1 FOR UPDATE',
        [event.ingestionId],
      );
      const seen = await client.query(
        'INSERT INTO ledger.seen_events (event_id, ingestion_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [event.eventId, event.ingestionId],
      );
      const duplicate = seen.rowCount === 0;
      const entry = duplicate ? noteDuplicate(rows[0].entry) : applyEvent(rows[0].entry, event);
      await client.query(
        'UPDATE ledger.ingestions SET state = $2, entry = $3, updated_at = now() WHERE ingestion_id = $1',
        [event.ingestionId, entry.state, entry],
      );
      await client.query('COMMIT');
      return { entry, duplicate };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async get(ingestionId: string): Promise<LedgerEntry | undefined> {
    const { rows } = await this.pool.query<{ entry: LedgerEntry }>(
      'SELECT entry FROM ledger.ingestions WHERE ingestion_id = $1',
      [ingestionId],
    );
    return rows[0]?.entry;
  }

  /** The newest `limit` entries (by first event) and the totals over all of them. */
  async list(limit: number): Promise<{ totals: LedgerTotals; ingestions: LedgerEntry[] }> {
    const totals = await this.pool.query<Record<keyof LedgerTotals, string>>(
      `SELECT count(*) AS ingestions,
              count(*) FILTER (WHERE state NOT IN ('completed', 'failed', 'retracted')) AS "inProgress",
              count(*) FILTER (WHERE state = 'completed') AS completed,
              count(*) FILTER (WHERE state = 'failed') AS failed,
              count(*) FILTER (WHERE state = 'retracted') AS retracted,
              coalesce(sum((entry #>> '{counts,bronze}')::bigint) FILTER (WHERE state = 'completed'), 0) AS rows,
              coalesce(sum((entry #>> '{counts,silver}')::bigint) FILTER (WHERE state = 'completed'), 0) AS "validRows",
              coalesce(sum((entry #>> '{counts,rejected}')::bigint) FILTER (WHERE state = 'completed'), 0) AS "rejectedRows"
         FROM ledger.ingestions`,
    );
    const { rows } = await this.pool.query<{ entry: LedgerEntry }>(
      `SELECT entry FROM ledger.ingestions ORDER BY entry ->> 'firstEventAt' DESC NULLS LAST, ingestion_id LIMIT $1`,
      [limit],
    );
    const t = totals.rows[0];
    return {
      totals: {
        ingestions: Number(t.ingestions),
        inProgress: Number(t.inProgress),
        completed: Number(t.completed),
        failed: Number(t.failed),
        retracted: Number(t.retracted),
        rows: Number(t.rows),
        validRows: Number(t.validRows),
        rejectedRows: Number(t.rejectedRows),
      },
      ingestions: rows.map((r) => r.entry),
    };
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** A developer-machine convenience: a real deployment would provision the database and migrate it. */
  private async createDatabase(): Promise<void> {
    const url = new URL(this.config.databaseUrl);
    const name = decodeURIComponent(url.pathname.slice(1));
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
    } catch (error) {
      // Another instance created it between our check and our CREATE.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    } finally {
      await admin.end();
    }
  }
}
