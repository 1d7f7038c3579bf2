import { BoundedSender } from './bounded-sender.js';

/** A task whose completion the test controls. */
function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('BoundedSender', () => {
  it('never has more than `limit` tasks in flight and waits for room', async () => {
    const sender = new BoundedSender(2);
    const tasks = [deferred(), deferred(), deferred()];
    let started = 0;
    await sender.run(() => (started++, tasks[0].promise));
    await sender.run(() => (started++, tasks[1].promise));
    let thirdStarted = false;
    const third = sender.run(() => (started++, (thirdStarted = true), tasks[2].promise));
    await Promise.resolve();
    expect(thirdStarted).toBe(false);
    expect(sender.pending).toBe(2);
    tasks[1].resolve();
    await third;
    expect(thirdStarted).toBe(true);
    expect(started).toBe(3);
    tasks[0].resolve();
    tasks[2].resolve();
    await sender.drain();
    expect(sender.pending).toBe(0);
  });

  it('rethrows the first failure from the next run and from drain', async () => {
    const sender = new BoundedSender(4);
    const failing = deferred();
    await sender.run(() => failing.promise);
    failing.reject(new Error('broker down'));
    await expect(sender.drain()).rejects.toThrow('broker down');
    await expect(sender.run(async () => undefined)).rejects.toThrow('broker down');
  });
});
