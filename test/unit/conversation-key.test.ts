import { describe, expect, it } from 'vitest';
import {
  decodeConversationKey,
  encodeConversationKey,
  isConversationKey,
  nestedKeyPrefix,
  type ConversationPlace,
} from '../../src/core/conversation-key.js';
import { chatJobSchema } from '../../src/queue/jobs.js';
import { malformed } from '../support/malformed-ref.js';

/** What the gateways stored before the key had a module of its own: databases hold these. */
const TODAY: readonly (readonly [ConversationPlace, string])[] = [
  // Discord: a channel, or a thread (a channel of its own).
  [{ channelId: '300' }, '300'],
  [{ channelId: '1234567890123456789' }, '1234567890123456789'],
  // Slack: a channel's thread, a DM's running conversation, a DM's thread, /forget's channel.
  [{ channelId: 'C1', threadId: '1700000000.000100' }, 'C1/1700000000.000100'],
  [{ channelId: 'D1' }, 'D1'],
  [{ channelId: 'D1', threadId: '1690000000.000001' }, 'D1/1690000000.000001'],
  [{ channelId: 'C1' }, 'C1'],
];

describe('conversation keys', () => {
  it("encode to exactly today's strings, and decode back", () => {
    for (const [place, stored] of TODAY) {
      expect(encodeConversationKey(place)).toBe(stored);
      expect(decodeConversationKey(stored)).toEqual(place);
      expect(encodeConversationKey(decodeConversationKey(stored))).toBe(stored);
      expect(isConversationKey(stored)).toBe(true);
    }
  });

  it("nest a channel's threads under the channel's key", () => {
    const channel = encodeConversationKey({ channelId: 'C1' });
    expect(nestedKeyPrefix(channel)).toBe('C1/');
    expect(encodeConversationKey({ channelId: 'C1', threadId: '1.2' })).toMatch(/^C1\//);
    expect(encodeConversationKey({ channelId: 'C10', threadId: '1.2' })).not.toMatch(/^C1\//);
  });

  it('refuses a malformed key with an error that says what a key looks like', () => {
    for (const bad of ['', 'C1/', '/1.2', 'C1/1.2/3', 'C1//1.2']) {
      expect(isConversationKey(bad)).toBe(false);
      const error = malformed(() => decodeConversationKey(bad));
      expect(error.code).toBe('malformed_ref');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(`conversation key ${JSON.stringify(bad)}`);
      expect(error.message).toContain('<channel>/<thread>');
    }
    expect(isConversationKey(42)).toBe(false);
  });

  it('refuses to build a key from ids it could not be read back into', () => {
    for (const place of [
      { channelId: '' },
      { channelId: 'C1/1.2' },
      { channelId: 'C1', threadId: '' },
      { channelId: 'C1', threadId: '1/2' },
    ]) {
      expect(malformed(() => encodeConversationKey(place)).message).toMatch(
        /^Malformed conversation place/,
      );
    }
  });

  it('are checked by the chat job schema', () => {
    const job = {
      v: 1,
      platform: 'slack',
      tenantId: 'T1',
      conversationKey: 'C1/1700000000.000100',
      channelId: 'C1',
      messageId: '1700000000.000100',
      author: { id: 'U1', name: 'Ann' },
      text: 'hi',
      receivedAt: new Date(0).toISOString(),
    };
    expect(chatJobSchema.parse(job)).toEqual(job);
    const refused = chatJobSchema.safeParse({ ...job, conversationKey: 'C1/a/b' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['conversationKey'] });
    expect(refused.error?.issues[0]?.message).toContain('<channel>/<thread>');
  });
});
