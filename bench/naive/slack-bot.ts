/**
 * A naive @slack/bolt bot, the benchmark's yardstick on Slack: on app_mention it posts
 * a placeholder in the mention's thread, streams the answer from Chutes, updates the
 * placeholder with chat.update once a second and makes one final update. The WebClient
 * retries its 429s as it does by default.
 *
 * Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL (no trailing slash),
 * PORT, CHUTES_API_KEY, CHUTES_BASE_URL, CHUTES_MODEL. Prints `naive bot is up` once listening.
 */
import { App, LogLevel } from '@slack/bolt';
import { chutesFromEnv, env, SecondlyEditor, streamAnswer } from './chutes-stream.js';

const chutes = chutesFromEnv();

const app = new App({
  token: env('SLACK_BOT_TOKEN'),
  signingSecret: env('SLACK_SIGNING_SECRET'),
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl: `${env('SLACK_API_URL')}/` },
});

app.event('app_mention', ({ event, client }) => {
  const run = async () => {
    const question = event.text.replace(/<@[^>]+>/g, '').trim();
    const channel = event.channel;
    const placeholder = await client.chat.postMessage({
      channel,
      thread_ts: event.thread_ts ?? event.ts,
      text: '…',
    });
    const ts = placeholder.ts!;
    const editor = new SecondlyEditor((text) => client.chat.update({ channel, ts, text }));
    let final: string;
    try {
      for await (const delta of streamAnswer(chutes, question)) editor.append(delta);
      final = editor.current || '(no answer)';
    } catch (err) {
      final = `${editor.current}\n\nSorry, the model failed: ${String(err)}`;
    }
    await editor.finish(final);
  };
  // Not awaited: bolt has acknowledged the event already; answers run side by side.
  run().catch((err: unknown) => console.error('answer failed:', String(err)));
  return Promise.resolve();
});

process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
await app.start(Number(env('PORT')));
console.log('naive bot is up');
