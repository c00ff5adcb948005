// M6 (security issue #19): a subscriber that stops reading must not make the server hold every
// event from then on. The event bus's queue (pushIterator) is the source here, as in production.
import { pushIterator } from '@automl-stream/core';
import { describe, expect, it } from 'vitest';
import { boundedStream } from './use-bounded-subscriptions.ts';

const tick = () => new Promise((r) => setImmediate(r));

/** A source like a subscription over the bus: `emit` pushes, `unsubscribed` says whether it was ended. */
function busSource() {
  let emit: (n: number) => void = () => {};
  let unsubscribed = false;
  const iterator = pushIterator<number>((push) => {
    emit = push;
    return () => {
      unsubscribed = true;
    };
  });
  return { iterator, emit: (n: number) => emit(n), unsubscribed: () => unsubscribed };
}

describe('boundedStream', () => {
  it('passes every value through, in order, to a subscriber that keeps up, bursts included', async () => {
    const source = busSource();
    let clock = 0;
    const stream = boundedStream(source.iterator, (n) => -n, {
      maxPending: 10,
      stalledAfterMs: 1_000,
      now: () => clock,
    });
    for (let i = 0; i < 100; i++) source.emit(i);
    await tick();
    // 100 waiting, over maxPending, but the subscriber has not stalled: nothing is dropped.
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) seen.push((await stream.next()).value as number);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
    clock += 5_000;
    source.emit(100);
    expect(await stream.next()).toEqual({ done: false, value: 100 });
    await stream.return?.();
    expect(source.unsubscribed()).toBe(true);
  });

  it('ends a stalled subscriber with one overflow value, drops the backlog and unsubscribes', async () => {
    const source = busSource();
    let clock = 0;
    const stream = boundedStream(source.iterator, (n) => -n, {
      maxPending: 10,
      stalledAfterMs: 1_000,
      now: () => clock,
    });
    source.emit(1);
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    // The subscriber stops reading; events keep coming for longer than stalledAfterMs.
    for (let i = 0; i < 10; i++) source.emit(i);
    await tick();
    expect(source.unsubscribed()).toBe(false);
    clock += 1_000;
    source.emit(10);
    source.emit(11);
    await tick();
    expect(source.unsubscribed()).toBe(true);
    expect(await stream.next()).toEqual({ done: false, value: -11 });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('cuts off at hardMax waiting however recently the subscriber read', async () => {
    const source = busSource();
    const stream = boundedStream(source.iterator, (n) => -n, { maxPending: 10, hardMax: 50, now: () => 0 });
    for (let i = 0; i < 60; i++) source.emit(i);
    await tick();
    expect(source.unsubscribed()).toBe(true);
    expect(await stream.next()).toEqual({ done: false, value: -51 });
  });

  it('passes the end and the failure of the source through', async () => {
    async function* finite() {
      yield 1;
      yield 2;
    }
    const ended = boundedStream(finite(), (n) => -n);
    expect([await ended.next(), await ended.next(), await ended.next()]).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: true, value: undefined },
    ]);
    async function* failing() {
      yield 1;
      throw new Error('source failed');
    }
    const failed = boundedStream(failing(), (n) => -n);
    expect(await failed.next()).toEqual({ done: false, value: 1 });
    await expect(failed.next()).rejects.toThrow('source failed');
  });
});
