import kafkajs from 'kafkajs';
import { isTransientKafkaError } from './errors.js';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

describe('isTransientKafkaError', () => {
  const tooLarge = () =>
    new KafkaJSProtocolError({
      type: 'MESSAGE_TOO_LARGE',
      code: 10,
      retriable: false,
      message: 'The request included a message larger than the max message size the server will accept',
    } as never);

  it('retries a broker that is down, also once kafkajs gave up retrying it', () => {
    const down = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(isTransientKafkaError(down)).toBe(true);
    expect(isTransientKafkaError(new KafkaJSNumberOfRetriesExceeded(down, { retryCount: 5, retryTime: 100 }))).toBe(
      true,
    );
    const leader = new KafkaJSProtocolError({
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
      retriable: true,
      message: 'x',
    } as never);
    expect(isTransientKafkaError(leader)).toBe(true);
  });

  it('does not retry MESSAGE_TOO_LARGE, alone or inside a retries-exhausted error', () => {
    expect(isTransientKafkaError(tooLarge())).toBe(false);
    expect(isTransientKafkaError(new KafkaJSNumberOfRetriesExceeded(tooLarge(), { retryCount: 0, retryTime: 0 }))).toBe(
      false,
    );
  });

  it('leaves errors of other libraries alone', () => {
    expect(isTransientKafkaError(new Error('x'))).toBe(false);
  });
});
