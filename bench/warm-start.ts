/**
 * How long `npm start` takes to answer /healthz 200, warm (built tree, an
 * embedded Postgres already initialised under DATA_DIR), against the fake
 * Discord, Slack and Chutes: `node --import tsx bench/warm-start.ts [runs]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeChutes } from '../test/fakes/chutes/index.js';
import { startFakeDiscord } from '../test/fakes/discord/index.js';
import { startFakeSlack } from '../test/fakes/slack/index.js';
import { APP_ID, BOT, CHUTES_KEY, DISCORD_TOKEN, SLACK } from '../test/e2e/stack.js';

/** A checkout to compare (a built copy of another commit); this one by default. */
const ROOTS = (process.env.ROOTS ?? fileURLToPath(new URL('..', import.meta.url))).split(',');
const runs = Number(process.argv[2] ?? 5);
/** `node`: run dist/main.js as npm start does, without npm and its build step. */
const direct = process.env.DIRECT === '1';
/** FLAGS="--a --b": node flags to try (with DIRECT=1). */
const flags = process.env.FLAGS ? process.env.FLAGS.split(' ') : [];
/** PROFILE=dir: a CPU profile of each start (node --cpu-prof), written when it exits. */
const profile = process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] : [];

const discord = await startFakeDiscord({
  token: DISCORD_TOKEN,
  applicationId: APP_ID,
  botUser: BOT,
  guilds: [],
});
const slack = await startFakeSlack({
  botToken: SLACK.botToken,
  signingSecret: SLACK.signingSecret,
  teamId: SLACK.team,
  botUserId: SLACK.bot,
  users: [],
  channels: [],
});
const chutes = await startFakeChutes({ apiKey: CHUTES_KEY, models: ['model-a'] });
const dataDir = await mkdtemp(path.join(tmpdir(), 'chutes-bot-warm-'));
await chmod(dataDir, 0o755);
const port = 20_000 + Math.floor(Math.random() * 20_000);
const env = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/root',
  CHUTES_API_KEY: CHUTES_KEY,
  CHUTES_BASE_URL: chutes.baseUrl,
  CHUTES_IMAGE_URL: chutes.imageUrl,
  DEFAULT_MODEL: 'model-a',
  DISCORD_TOKEN,
  DISCORD_APPLICATION_ID: APP_ID,
  DISCORD_API_URL: discord.apiUrl,
  SLACK_BOT_TOKEN: SLACK.botToken,
  SLACK_SIGNING_SECRET: SLACK.signingSecret,
  SLACK_API_URL: slack.apiUrl.replace(/\/$/, ''),
  DATA_DIR: dataDir,
  PORT: String(port),
  ...(process.env.LOG_LEVEL ? { LOG_LEVEL: process.env.LOG_LEVEL } : {}),
};

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
}
const cpu: number[] = [];

/** Each log line's message with its time since spawn, in ms. */
function phases(output: string, spawnedAt: number): string {
  return output
    .split('\n')
    .flatMap((line) => {
      try {
        const { time, msg } = JSON.parse(line) as { time: number; msg: string };
        return [`${String(time - spawnedAt).padStart(6)} ms  ${msg}`];
      } catch {
        return [];
      }
    })
    .join('\n');
}

async function once(root: string): Promise<{ healthyMs: number; output: string }> {
  const started = performance.now();
  const spawnedAt = Date.now();
  const child = direct
    ? spawn(process.execPath, [...profile, ...flags, '--max-old-space-size=512', 'dist/main.js'], {
        cwd: root,
        env,
        detached: true,
      })
    : spawn('npm', ['start', '--silent'], { cwd: root, env, detached: true });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let healthyMs: number;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) {
      healthyMs = performance.now() - started;
      if (direct) cpu.push(cpuMs(child.pid!));
      break;
    }
    if (performance.now() - started > 120_000) throw new Error(`no 200:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  return { healthyMs, output: phases(output, spawnedAt) };
}

try {
  const first = await once(ROOTS[0]!); // initialises the cluster (cold)
  console.log(`first start (initdb): ${Math.round(first.healthyMs)} ms`);
  // With several checkouts, their starts alternate: each sees the same load.
  const times = new Map<string, number[]>(ROOTS.map((root) => [root, []]));
  for (let i = 0; i < runs; i++) {
    for (const root of ROOTS) {
      const { healthyMs, output } = await once(root);
      times.get(root)!.push(healthyMs);
      if (process.env.SHOW) console.log(output);
      const used = direct ? `, service CPU ${cpu.at(-1)} ms` : '';
      console.log(`${root} warm start ${i + 1}: ${Math.round(healthyMs)} ms${used}`);
    }
  }
  for (const [root, list] of times) {
    list.sort((a, b) => a - b);
    console.log(
      `${root} warm: min ${Math.round(list[0]!)} ms, median ${Math.round(list[Math.floor(list.length / 2)]!)} ms, max ${Math.round(list.at(-1)!)} ms`,
    );
  }
} finally {
  await discord.close();
  await slack.close();
  await chutes.close();
  await rm(dataDir, { recursive: true, force: true });
}
