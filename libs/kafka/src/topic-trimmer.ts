import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

export interface TopicTrimmerOptions {
  topic: string;
  /** The one group that consumes the topic: records below its committed offsets are deleted. */
  groupId: string;
  intervalMs: number;
  log: Logger;
}

/**
 * Deletes an internal topic's records once its consumer group has committed past them (Kafka's
 * DeleteRecords): the raw chunks of an upload are in bronze by then, and a 100M-row upload would
 * otherwise keep another 10 GB on disk for the topic's whole retention. Nothing is deleted that the
 * group has not committed, so a consumer that is down or behind loses nothing; the broker frees the
 * disk segment by segment as its log start offset passes them.
 */
export class TopicTrimmer {
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Offset up to which each partition was trimmed by this process. */
  private readonly trimmed = new Map<number, bigint>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TopicTrimmerOptions,
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.trimOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.options.log.warn({ err: error }, 'could not trim the topic; retrying later'))
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /** Deletes the records below the group's committed offsets; returns the partitions it trimmed. */
  async trimOnce(): Promise<number> {
    const { topic, groupId } = this.options;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const partitions = (committed?.partitions ?? [])
      .map((p) => ({ partition: p.partition, offset: BigInt(p.offset) }))
      // -1: nothing committed yet.
      .filter((p) => p.offset > (this.trimmed.get(p.partition) ?? 0n));
    if (partitions.length === 0) return 0;
    await this.admin.deleteTopicRecords({
      topic,
      partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })),
    });
    for (const p of partitions) this.trimmed.set(p.partition, p.offset);
    this.options.log.debug({ topic, partitions: partitions.length }, 'trimmed consumed records');
    return partitions.length;
  }
}
