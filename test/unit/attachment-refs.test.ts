/**
 * What the gateways put in a job about attached files: the link, name, size
 * and type only; Slack's external links, deleted files and files whose
 * details the event does not carry are left out; the queue refuses links
 * that are not http(s).
 */
import { describe, expect, it } from 'vitest';
import { toChatJob as discordJob } from '../../src/platforms/discord/messages.js';
import { attachmentsOfFiles } from '../../src/platforms/slack/files.js';
import { isFileShareMention, toChatJob as slackJob } from '../../src/platforms/slack/events.js';
import { chatJobSchema } from '../../src/queue/jobs.js';

const BOT = '900000000000000001';

describe('Discord attachments in a job', () => {
  it('carries them, and a mention with only a file is a question', () => {
    const job = discordJob(
      {
        id: '1200000000000000000',
        channelId: '300',
        guildId: '100',
        sharedChannel: true,
        content: `<@${BOT}>`,
        attachments: [
          {
            url: 'https://cdn.discordapp.com/attachments/300/1/cat.png?ex=1&is=2&hm=3&',
            name: 'cat.png',
            size: 1234,
            contentType: 'image/png',
          },
        ],
        createdAt: new Date('2026-01-01T00:00:00Z'),
        author: { id: '42', name: 'Ann', bot: false },
        mentionedUsers: new Map([[BOT, 'bot']]),
        botRoleIds: [],
      },
      BOT,
    );
    expect(job?.text).toBe('');
    expect(job?.attachments).toEqual([
      {
        url: 'https://cdn.discordapp.com/attachments/300/1/cat.png?ex=1&is=2&hm=3&',
        name: 'cat.png',
        size: 1234,
        contentType: 'image/png',
      },
    ]);
    expect(chatJobSchema.safeParse(job).success).toBe(true);
    const notHttp = { ...job!, attachments: [{ url: 'file:///etc/passwd', name: 'x' }] };
    expect(chatJobSchema.safeParse(notHttp).success).toBe(false);
  });
});

describe('Slack files in a job', () => {
  const hosted = {
    id: 'F1',
    name: 'plan.md',
    mimetype: 'text/markdown',
    size: 42,
    mode: 'hosted',
    url_private: 'https://files.slack.com/files-pri/T1-F1/plan.md',
    url_private_download: 'https://files.slack.com/files-pri/T1-F1/download/plan.md',
  };

  it('keeps hosted files by their download link, and leaves out what cannot be read', () => {
    expect(
      attachmentsOfFiles([
        hosted,
        { ...hosted, id: 'F2', mode: 'external', url_private: 'https://docs.example/x' },
        { ...hosted, id: 'F3', mode: 'tombstone' },
        { id: 'F4', file_access: 'check_file_info' },
      ]),
    ).toEqual([
      {
        url: 'https://files.slack.com/files-pri/T1-F1/download/plan.md',
        name: 'plan.md',
        size: 42,
        contentType: 'text/markdown',
      },
    ]);
  });

  it('puts them in the job of a file_share message', () => {
    const job = slackJob(
      {
        type: 'message',
        subtype: 'file_share',
        channel: 'D1',
        channel_type: 'im',
        user: 'U1',
        text: '',
        ts: '1700000000.000100',
        files: [hosted],
      },
      { teamId: 'T1', authorName: 'Ann', text: '', receivedAt: new Date() },
    );
    expect(job.attachments).toHaveLength(1);
    expect(chatJobSchema.safeParse(job).success).toBe(true);
  });

  it('takes a channel file share that mentions the bot as a question, and nothing else', () => {
    const share = {
      type: 'message',
      subtype: 'file_share',
      channel: 'C1',
      channel_type: 'channel',
      user: 'U1',
      text: '<@UBOT> look',
      ts: '1700000000.000200',
    };
    expect(isFileShareMention(share, 'UBOT')).toBe(true);
    expect(isFileShareMention({ ...share, text: 'look' }, 'UBOT')).toBe(false);
    expect(isFileShareMention({ ...share, subtype: undefined }, 'UBOT')).toBe(false);
    expect(isFileShareMention({ ...share, user: 'UBOT' }, 'UBOT')).toBe(false);
    expect(isFileShareMention({ ...share, bot_id: 'B1' }, 'UBOT')).toBe(false);
    expect(isFileShareMention({ ...share, channel: 'D1', channel_type: 'im' }, 'UBOT')).toBe(false);
  });
});
