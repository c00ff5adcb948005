/**
 * A shared "now" for relative times ("12 s ago"), ticking once a second while anything reads it.
 * One timer for the whole page, started by the first reader and stopped with the last.
 */
import { createSubscriber } from 'svelte/reactivity';

const subscribe = createSubscriber((update) => {
  const timer = setInterval(update, 1000);
  return () => clearInterval(timer);
});

/** The current time in ms; reading it inside a template or effect re-runs that part every second. */
export function now(): number {
  subscribe();
  return Date.now();
}
