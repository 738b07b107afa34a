import { describe, expect, it } from 'vitest';
import { encodeConversationKey, type ConversationKey } from '../../src/core/conversation-key.js';
import { KnownConversations } from '../../src/core/known-conversations.js';
import type { ConversationPresence } from '../../src/core/ports.js';

const THREAD = encodeConversationKey({ channelId: 'C1', threadId: '1700000000.000100' });
const OTHER = encodeConversationKey({ channelId: 'C1', threadId: '1700000000.000200' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An in-memory store that counts its look-ups. */
class Store implements ConversationPresence {
  readonly asked: string[] = [];
  answered = new Set<string>();
  delayMs = 0;
  failing = false;
  async hasExchange(platform: string, key: ConversationKey): Promise<boolean> {
    this.asked.push(`${platform}:${key}`);
    if (this.delayMs) await sleep(this.delayMs);
    if (this.failing) throw new Error('store away');
    return this.answered.has(key);
  }
}

describe('KnownConversations', () => {
  it('asks the store once per conversation while its answer is fresh, then again', async () => {
    const store = new Store();
    store.answered.add(THREAD);
    const known = new KnownConversations(store, 'slack', { lookupTtlMs: 100 });
    expect(await Promise.all([known.has(THREAD), known.has(THREAD)])).toEqual([true, true]);
    expect(await known.has(OTHER)).toBe(false);
    expect(await known.has(OTHER)).toBe(false);
    expect(store.asked).toEqual([`slack:${THREAD}`, `slack:${OTHER}`]);
    store.answered.add(OTHER);
    await sleep(150);
    expect(await known.has(OTHER)).toBe(true);
    expect(store.asked).toHaveLength(3);
  });

  it('counts a conversation it joined at once, before the store has its exchange', async () => {
    const store = new Store();
    const known = new KnownConversations(store, 'slack');
    expect(await known.has(THREAD)).toBe(false);
    known.joined(THREAD);
    expect(await known.has(THREAD)).toBe(true);
    expect(store.asked).toHaveLength(1);
  });

  it('rejects a failed or slow look-up and does not remember it', async () => {
    const store = new Store();
    store.failing = true;
    const known = new KnownConversations(store, 'slack', { lookupTimeoutMs: 50 });
    await expect(known.has(THREAD)).rejects.toThrow('store away');
    store.failing = false;
    store.delayMs = 200;
    await expect(known.has(OTHER)).rejects.toThrow(/no answer from the store in 50 ms/);
    store.delayMs = 0;
    store.answered.add(THREAD);
    expect(await known.has(THREAD)).toBe(true);
  });
});
