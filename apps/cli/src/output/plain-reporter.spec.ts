import type { SocketIngestionEvent } from '#contracts';
import { initialProgress } from '../progress/ingestion-progress.js';
import { PlainReporter } from './plain-reporter.js';

const ID = '8f2d1c3e-0000-4000-8000-000000000001';

describe('PlainReporter (non-TTY output)', () => {
  it('prints one line per event with its seq, and the ingestion id when following several', () => {
    const lines: string[] = [];
    const event = {
      seq: 7,
      eventId: 'x',
      ingestionId: ID,
      type: 'gold.completed',
      layer: 'gold',
      occurredAt: '',
      data: { trips: 3 },
    } as SocketIngestionEvent;
    new PlainReporter((l) => lines.push(l)).event(event, initialProgress(ID));
    new PlainReporter((l) => lines.push(l), true).event(event, initialProgress(ID));
    expect(lines).toEqual([
      '#7   gold      completed: 3 trips grouped and counted',
      '8f2d1c3e #7   gold      completed: 3 trips grouped and counted',
    ]);
  });

  it('prints the bytes sent once per 25 % step, not once per chunk', () => {
    const lines: string[] = [];
    const r = new PlainReporter((l) => lines.push(l));
    for (let sent = 0; sent <= 1000; sent += 50) r.uploadBytes(sent, 1000);
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['0%', '25%', '50%', '75%', '100%']);
  });
});
