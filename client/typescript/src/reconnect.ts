/**
 * The order in which the client tries brokers and how long it waits when none answered: the first broker is chosen at
 * random; after a lost broker (or a MOVE) the next is another one chosen at random, so the clients of a stopped broker
 * spread over the others, and the lost one comes last. Only when every broker was tried once without an answer does
 * the client wait, exponentially longer with jitter, between the minimum and maximum delay.
 */

/**
 * One round over `count` brokers: at first from a random one on in list order; after broker `last`, from a random
 * other one on in list order with `last` itself at the very end. A single broker: that one.
 */
export function roundOrder(last: number, count: number, random: () => number = Math.random): number[] {
  if (last < 0 || count === 1) {
    const start = last < 0 ? Math.floor(random() * count) : 0;
    return Array.from({ length: count }, (_, i) => (start + i) % count);
  }
  const first = (last + 1 + Math.floor(random() * (count - 1))) % count;
  const order: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = (first + i) % count;
    if (next !== last) {
      order.push(next);
    }
  }
  order.push(last);
  return order;
}

/** The wait before round `round` (1 after the first failed round): min × 2^(round-1), capped at max, less up to half as jitter. */
export function backoffDelay(round: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const full = Math.min(maxMs, minMs * 2 ** Math.min(round - 1, 30));
  return Math.max(minMs, full / 2 + (random() * full) / 2);
}
