/**
 * A naive discord.js bot, the benchmark's yardstick: on a mention it replies with a
 * placeholder, streams the answer from Chutes, edits the reply with the text so far
 * once a second and makes one final edit. No queue, no shared budget: discord.js's
 * REST client waits out 429s on its own.
 *
 * Environment: DISCORD_TOKEN, DISCORD_API_URL, CHUTES_API_KEY, CHUTES_BASE_URL, CHUTES_MODEL.
 * Prints `naive bot is up` once the gateway is ready.
 */
import { Client, Events, GatewayIntentBits, type Message } from 'discord.js';
import { chutesFromEnv, env, SecondlyEditor, streamAnswer } from './chutes-stream.js';

const chutes = chutesFromEnv();
const LIMIT = 2_000;

const client = new Client({
  intents: [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.MessageContent,
  ],
  rest: { api: env('DISCORD_API_URL') },
});

async function answer(message: Message): Promise<void> {
  const question = message.content.replace(/<@!?\d+>/g, '').trim();
  const reply = await message.reply({ content: '…', allowedMentions: { repliedUser: false } });
  const editor = new SecondlyEditor((text) => reply.edit(text.slice(0, LIMIT)));
  let final: string;
  try {
    for await (const delta of streamAnswer(chutes, question)) editor.append(delta);
    final = editor.current || '(no answer)';
  } catch (err) {
    final = `${editor.current}\n\nSorry, the model failed: ${String(err)}`;
  }
  await editor.finish(final.slice(0, LIMIT));
}

client.on(Events.MessageCreate, (message) => {
  if (message.author.bot || !client.user || !message.mentions.users.has(client.user.id)) return;
  answer(message).catch((err: unknown) => console.error('answer failed:', String(err)));
});

client.once(Events.ClientReady, () => console.log('naive bot is up'));
process.on('SIGTERM', () => {
  void client.destroy().finally(() => process.exit(0));
});
await client.login(env('DISCORD_TOKEN'));
