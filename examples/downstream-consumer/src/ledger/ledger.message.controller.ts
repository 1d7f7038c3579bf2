import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { eventsTopic } from '../ledger.config.js';
import { readEvent } from './ledger.js';
import { LedgerRepository } from './ledger.repository.js';

/**
 * Consumes the platform's public events topic with Nest's Kafka transport. The handler resolves only
 * after the database commit, and only then does kafkajs commit the offset: a crash in between
 * redelivers the event, and the repository recognises it by its `eventId`.
 */
@Controller()
export class LedgerMessageController {
  private readonly logger = new Logger(LedgerMessageController.name);

  constructor(private readonly ledger: LedgerRepository) {}

  // <string>: the plain pattern overload. The typed one (an event map) would type the extra handler
  // arguments as unknown, which a KafkaContext parameter is not.
  @EventPattern<string>(eventsTopic())
  async onIngestionEvent(@Payload() payload: unknown, @Ctx() context: KafkaContext): Promise<void> {
    const read = readEvent(payload);
    if (!read.ok) {
      // Skipped, not thrown: a message we cannot use would otherwise be redelivered forever.
      this.logger.warn(
        `skipped ${context.getTopic()}[${context.getPartition()}]@${context.getMessage().offset}: ${read.reason}`,
      );
      return;
    }
    // A database error is thrown: kafkajs retries the message with backoff, the offset stays uncommitted.
    const { entry, duplicate } = await this.ledger.record(read.event);
    this.logger.debug(
      `${read.event.eventId}: ${duplicate ? 'duplicate, ignored' : `applied, ${entry.ingestionId} is ${entry.state}`}`,
    );
  }
}
