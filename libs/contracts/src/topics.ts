/**
 * Kafka topic names. The version is part of the name: a breaking payload change
 * gets a new topic, so old consumers keep working until they move.
 * Every name is prefixed with `KAFKA_TOPIC_PREFIX` at run time (see {@link topicName}).
 */
export const Topics = {
  /** Internal: raw CSV chunks from upload-gateway to bronze-loader. Value = raw bytes. */
  rawChunks: 'trips.raw-chunks.v1',
  /** Internal: work items from bronze-loader to transformer (JSON). */
  bronzeWork: 'trips.bronze-work.v1',
  /** Public: every ingestion lifecycle event, keyed by ingestion id (JSON {@link IngestionEvent}). */
  ingestionEvents: 'trips.ingestion-events.v1',
  /** Dead letters of any internal topic: the original message plus the reason. */
  deadLetter: 'trips.dead-letter.v1',
} as const;

export type TopicKey = keyof typeof Topics;

/** The topic's full name under an environment prefix (e.g. `test-1234.`). */
export function topicName(prefix: string, key: TopicKey): string {
  return `${prefix}${Topics[key]}`;
}
