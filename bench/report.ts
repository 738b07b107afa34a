/** The results table, for the terminal and for bench/RESULTS.md. */
import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import type { Row } from './harness.js';
import type { Percentiles } from './metrics.js';
import { ROOT } from './proc.js';

const s = (ms: number | undefined) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)}`);
const pair = (p: Percentiles | undefined) => (p ? `${s(p.p50)} / ${s(p.p95)}` : '–');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

export const HEADER = [
  'workload',
  'strategy',
  'backend',
  'processes',
  'final',
  'exact',
  'event→Chutes p50 / p95 (s)',
  'event→visible p50 / p95 (s)',
  'display lag p95 (s)',
  'all final (s)',
  'posts',
  'edits',
  '429s',
  'streams peak',
  'RSS peak (MB)',
];

function processes(row: Row): string {
  if (row.strategy === 'naive') return '1 naive';
  if (row.gateways) return `${row.gateways} gateways + ${row.workers} workers`;
  return row.workers === 1 ? '1 (all)' : `gateway + ${row.workers} workers`;
}

export function cells(row: Row): string[] {
  const m = row.metrics;
  const rss =
    row.rss.length === 1
      ? mb(row.rss[0]!.bytes)
      : row.rss.map((r) => `${r.label.replace('worker', 'w')} ${mb(r.bytes)}`).join(', ');
  const partial = (n: number) => (n < m.total ? ` (${n}/${m.total})` : '');
  return [
    row.workload.name,
    row.strategy,
    row.backend ?? '–',
    processes(row),
    `${m.final}/${m.total}`,
    `${m.exact}/${m.total}`,
    pair(m.eventToRequest) + partial(m.requested),
    pair(m.eventToVisible) + partial(m.visible),
    m.lagP95 === undefined ? '–' : `${m.lagCensored ? '≥ ' : ''}${s(m.lagP95)}`,
    m.allFinalMs !== undefined
      ? s(m.allFinalMs)
      : `> ${row.workload.timeoutMs / 1000} (last final ${s(m.lastFinalMs)})`,
    String(row.counts.posts),
    String(row.counts.edits),
    String(row.counts.rateLimited),
    String(m.streamsPeak),
    rss,
  ];
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Plain columns for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

export function rowNotes(row: Row): string[] {
  const m = row.metrics;
  const out = [...row.notes];
  if (m.mismatched.length) {
    const whitespace = m.mismatched.filter((x) => x.whitespaceOnly).length;
    out.push(
      `${m.mismatched.length} answers not exactly the model's text at the end` +
        (whitespace ? ` (${whitespace} differ only in whitespace)` : '') +
        `; e.g. ${m.mismatched
          .slice(0, 2)
          .map(
            (x) =>
              `${x.marker} shows ${JSON.stringify(x.shown.slice(0, 80))} for ${JSON.stringify(x.expected.slice(0, 40))}…`,
          )
          .join('; ')}`,
    );
  }
  const toMessage = m.eventToMessage;
  if (
    toMessage &&
    (toMessage.p50 !== m.eventToVisible?.p50 || toMessage.p95 !== m.eventToVisible.p95)
  ) {
    out.push(
      `event→first bot message (statuses and reactions aside) p50 / p95: ${pair(toMessage)} s`,
    );
  }
  const slow = m.slowest;
  if (slow) {
    const changes = slow.changesAfterMs.map((t) => `+${s(t)}`);
    out.push(
      `slowest answer ${slow.marker}: ${slow.finalAfterMs === undefined ? 'never final' : `final ${s(slow.finalAfterMs)} s`} ` +
        `after its event (Chutes request +${s(slow.requestAfterMs)} s, first visible +${s(slow.visibleAfterMs)} s; ` +
        `its text changed at ${changes.length > 16 ? [...changes.slice(0, 8), '…', ...changes.slice(-8)].join(', ') : changes.join(', ') || 'no time'})`,
    );
  }
  if (m.lagCensored) {
    out.push(
      `${m.lagCensored} of ${m.lagChunks} chunks were never shown; counted with their lag at the end of the run`,
    );
  }
  out.push(`Chutes requests: ${m.chutesRequests}; ${row.counts.detail.join('; ') || 'no 429s'}`);
  return out;
}

/** A line on where the numbers come from. */
export function machineNote(): string {
  const cpu = cpus();
  let commit = 'unknown commit';
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT })
      .toString()
      .trim();
    commit = `${head}${dirty ? ` with uncommitted changes in src/ (${dirty.split('\n').length} files)` : ''}`;
  } catch {
    // not a git checkout
  }
  return (
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, ` +
    `Linux ${release()}, Node ${process.version}; service at ${commit}. The fakes run inside the ` +
    `benchmark process, Postgres and Redis on the same machine, which is shared with other work ` +
    `(tests running at the same time): compare rows of one run, not figures across runs.`
  );
}

export const DEFINITIONS = `- **event**: when the fake platform dispatched the mention (Discord: the question's \`createdAt\`, stored just before MESSAGE_CREATE goes out; Slack: the question's \`postedAt\`, stored just before the signed \`app_mention\` is POSTed).
- **event→Chutes**: event → the fake Chutes receiving the first \`POST /v1/chat/completions\` whose last user message carries the question's marker (\`Q0042\`): the bot's own overhead before the model call.
- **event→visible**: event → the first thing answering the question a user can see: on Discord the first bot message replying to it (\`message_reference\`) or a reaction on it (a successful \`PUT …/reactions/…\`); on Slack the first bot message in the question's thread or a non-empty \`assistant.threads.setStatus\` there.
- **display lag p95**: the fake Chutes records when it sent each chunk; for every chunk of every answer, the time until the answer's visible text (its messages joined, whitespace ignored) first contained everything up to and including that chunk; p95 over all chunks. Chunks never shown are counted with their lag at the end of the run and the figure is marked ≥.
- **all final**: first event → the moment the last answer's visible text equalled the model's text (whitespace ignored). \`> N\` when some never did within the workload's timeout.
- **final / exact**: answers whose visible text came to equal the model's (whitespace ignored) / whose text at the end is exactly the model's text.
- **posts / edits**: bot writes the fake platform accepted: Discord \`POST /channels/:id/messages\` / \`PATCH /channels/:id/messages/:id\` (2xx); Slack \`chat.postMessage\` + \`chat.startStream\` / \`chat.update\` + \`chat.appendStream\` (ok; \`chat.stopStream\` is listed in the notes).
- **429s**: rate-limit answers the fake platform gave (its \`rateLimited\` log), any route.
- **streams peak**: most model streams open at the same time at the fake Chutes (how many answers the bot carried at once).
- **RSS peak**: the highest \`VmRSS\` (and the kernel's \`VmHWM\`) of each bot process, sampled from \`/proc/<pid>/status\` every 200 ms; for several processes, one figure each (\`gateway\`, \`w1\`, …).`;
