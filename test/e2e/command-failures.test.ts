/**
 * A command that fails for good still answers, with one sentence: /settings,
 * /usage and /forget on Discord and on Slack, while the database refuses
 * every read of the settings (their table renamed away in this test's own
 * database). The jobs end in the failed set with their reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL } from '../../src/core/user-messages.js';
import { jobIdFor, QUEUES } from '../../src/queue/jobs.js';
import { ANN, channel, GUILD, PERMISSIONS, SLACK, startStack, type Stack } from './stack.js';

const SUBCOMMAND = 1;
/** drizzle's message for the failed read (the cause: relation "tenant_settings" does not exist). */
const REASON = /^internal: Failed query: select .* from "tenant_settings"/s;

let stack: Stack;
beforeAll(async () => {
  // Two attempts (the tests' JOB_ATTEMPTS): the first fails silently, the second for good.
  stack = await startStack({ slack: {} });
  await stack.database.pool.query('ALTER TABLE tenant_settings RENAME TO tenant_settings_away');
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

/** Waits until the commands queue holds `jobId` as failed; returns its reason. */
async function failedReason(jobId: string): Promise<string> {
  const queue = stack.queue(QUEUES.commands);
  const job = await stack.discord.waitFor(
    async () => (await queue.getFailed()).find((j) => j.id === jobId),
    20_000,
    `the failed job ${jobId}`,
  );
  expect(job.attemptsMade).toBe(2);
  return job.failedReason;
}

describe('commands that fail for good', () => {
  it.each([
    ['settings', [{ name: 'show', type: SUBCOMMAND, options: [] }], PERMISSIONS.member],
    ['usage', [], PERMISSIONS.admin],
    ['forget', [], PERMISSIONS.member],
  ])(
    'Discord /%s edits its deferred answer with one sentence',
    async (name, options, permissions) => {
      const sent = stack.discord.sendInteraction({
        name,
        options,
        guildId: GUILD,
        channelId: channel(1),
        user: ANN,
        permissions,
      });
      const callback = await sent.callback;
      expect(callback.acknowledged && callback.type).toBe(5);
      expect(await failedReason(jobIdFor('discord', 'cmd', sent.id))).toMatch(REASON);
      const state = stack.discord.interactionState(sent.id)!;
      expect(state.original?.content).toBe(INTERNAL);
      // One edit: the attempt that was retried said nothing.
      expect(state.original?.edits.map((e) => e.content)).toEqual([INTERNAL]);
      expect(state.followups).toEqual([]);
    },
    30_000,
  );

  it.each([
    ['/settings', 'show', SLACK.ann.id],
    ['/usage', '', SLACK.boss.id],
    ['/forget', '', SLACK.ann.id],
  ])(
    'Slack %s answers through its response_url with one sentence',
    async (command, text, user) => {
      const sent = stack.slack.runCommand({ command, text, user, channel: SLACK.channel(1) });
      expect((await sent.ack).acknowledged).toBe(true);
      expect(await failedReason(jobIdFor('slack', 'cmd', sent.triggerId))).toMatch(REASON);
      const answers = stack.slack.commandResponses(sent.id).filter((r) => r.via === 'response_url');
      expect(answers.map((r) => r.text)).toEqual([INTERNAL]);
      expect(answers[0]!.responseType).toBe('ephemeral');
    },
    30_000,
  );
});
