import { describe, expect, it } from 'vitest';
import { MalformedRefError } from '../../src/core/malformed-ref.js';
import { toInteractionRef, type InteractionRef } from '../../src/core/surface.js';
import {
  decodeDiscordInteraction,
  encodeDiscordInteraction,
} from '../../src/platforms/discord/interaction-ref.js';
import {
  decodeSlackInteraction,
  encodeSlackInteraction,
} from '../../src/platforms/slack/interaction-ref.js';
import { commandJobSchema } from '../../src/queue/jobs.js';
import { malformed } from '../support/malformed-ref.js';

const DISCORD = { applicationId: '900000000000000002', token: 'aW50ZXJhY3Rpb246c2VjcmV0' };
const SLACK = {
  responseUrl: 'https://hooks.slack.com/commands/T1/123/secretpart',
  channelId: 'C2',
};

/** Through a job's JSON, as the queue carries it. */
const viaJson = (ref: InteractionRef): InteractionRef => JSON.parse(JSON.stringify(ref));

it.each([
  {
    platform: 'Discord',
    ref: () => encodeDiscordInteraction(DISCORD),
    decode: decodeDiscordInteraction,
    fields: DISCORD,
    json: '{"applicationId":"900000000000000002","token":"aW50ZXJhY3Rpb246c2VjcmV0"}',
  },
  {
    platform: 'Slack',
    ref: () => encodeSlackInteraction(SLACK),
    decode: decodeSlackInteraction,
    fields: SLACK,
    json: '{"responseUrl":"https://hooks.slack.com/commands/T1/123/secretpart","channelId":"C2"}',
  },
])("$platform interaction references are today's plain JSON, and round-trip through a job", (c) => {
  const ref = c.ref();
  expect(JSON.stringify(ref)).toBe(c.json);
  expect(c.decode(viaJson(ref))).toEqual(c.fields);
});

describe('Discord interaction references', () => {
  it('refuse a malformed reference, naming the field and never the token', () => {
    const missing = malformed(() => decodeDiscordInteraction(toInteractionRef({ token: 'tok' })));
    expect(missing.message).toMatch(/^Malformed Discord interaction reference: applicationId:/);
    expect(missing.code).toBe('malformed_ref');
    expect(missing.retryable).toBe(false);
    const notOurs = malformed(() => decodeDiscordInteraction(encodeSlackInteraction(SLACK)));
    expect(notOurs.message).toContain('applicationId');
    expect(notOurs.message).toContain('token');
    const bad = malformed(() => encodeDiscordInteraction({ ...DISCORD, applicationId: 'app' }));
    expect(bad.message).toContain('applicationId: expected a snowflake');
    expect(bad.message).not.toContain(DISCORD.token);
  });
});

describe('Slack interaction references', () => {
  it('read a reference queued by the previous version (with the userId it no longer writes)', () => {
    const queued = toInteractionRef({ ...SLACK, userId: 'U1' });
    expect(decodeSlackInteraction(queued)).toEqual(SLACK);
  });

  it('refuse a malformed reference, naming the field and never the response_url', () => {
    const notUrl = malformed(() =>
      decodeSlackInteraction(
        toInteractionRef({ responseUrl: 'secret-not-a-url', channelId: 'C2' }),
      ),
    );
    expect(notUrl.message).toMatch(/^Malformed Slack interaction reference: responseUrl:/);
    expect(notUrl.message).not.toContain('secret-not-a-url');
    const notOurs = malformed(() => decodeSlackInteraction(encodeDiscordInteraction(DISCORD)));
    expect(notOurs.message).toContain('responseUrl');
    expect(notOurs.message).toContain('channelId');
    expect(notOurs.message).not.toContain(DISCORD.token);
    expect(() => encodeSlackInteraction({ ...SLACK, channelId: '' })).toThrow(MalformedRefError);
  });
});

describe('the command job schema', () => {
  const job = {
    v: 1,
    platform: 'slack',
    tenantId: 'T1',
    channelId: 'C2',
    conversationKey: 'C2',
    interaction: encodeSlackInteraction(SLACK),
    actor: { id: 'U1', name: 'Ann', isAdmin: false },
    command: 'help',
    options: {},
    receivedAt: new Date(0).toISOString(),
  };

  it('carries a reference as it is, without reading it', () => {
    expect(commandJobSchema.parse(job)).toEqual(job);
    const discord = { ...job, interaction: encodeDiscordInteraction(DISCORD) };
    expect(commandJobSchema.parse(discord)).toEqual(discord);
  });

  it('refuses what cannot be a reference: no fields, or fields that are not strings', () => {
    for (const interaction of [{}, { token: 42 }, 'token', { nested: { token: 'x' } }]) {
      const refused = commandJobSchema.safeParse({ ...job, interaction });
      expect(refused.success).toBe(false);
      expect(refused.error?.issues[0]?.path[0]).toBe('interaction');
    }
  });
});
