import { Inject, Injectable } from '@nestjs/common';
import type { DependencyCheck } from '#common';
import { EventsListener } from './events-listener.service.js';

/**
 * The notifier's LISTEN session is up: without it, events are still stored but no client of this
 * instance receives them live (the session reconnects with backoff, then clients catch up).
 */
@Injectable()
export class EventsListenerHealth implements DependencyCheck {
  readonly name = 'listener';
  readonly timeoutMs = 1_000;

  constructor(@Inject(EventsListener) private readonly listener: EventsListener) {}

  probe(): Promise<void> {
    if (!this.listener.isListening) return Promise.reject(new Error('the LISTEN session is not up'));
    return Promise.resolve();
  }
}
