/**
 * The figures of a chaos run, per backend, and the tables `npm run chaos`
 * prints: questions accepted, answered exactly once with the exact text,
 * twice, wrong, lost, the 429s each platform gave, question → final times,
 * and what was done to the service meanwhile.
 */
import { percentile } from '../../bench/metrics.js';
import type { StoreCut } from './faults.js';
import { QUESTION_KINDS, type Question, type QuestionKind } from './load.js';
import type { ChutesFault } from './model.js';
import type { ChaosBackend } from './plan.js';
import { SLOTS, type SlotName, type Termination, type Unplanned } from './supervisor.js';
import type { Outcome, Verdict } from './verdict.js';

export interface Counts {
  readonly sent: number;
  readonly accepted: number;
  readonly exact: number;
  readonly twice: number;
  readonly wrong: number;
  readonly lost: number;
}

export interface ChaosReport {
  readonly backend: ChaosBackend;
  readonly seed: number;
  readonly loadMs: number;
  /** When the load started (epoch ms): the report's times are relative to it. */
  readonly wallStart: number;
  /** From starting the stack to the end of the drain. */
  readonly wallMs: number;
  readonly totals: Counts;
  readonly byKind: Readonly<Record<QuestionKind, Counts>>;
  /** Not counted as taken by the platform, yet answered (e.g. on a Slack retry that timed out). */
  readonly answeredUnaccepted: number;
  readonly rateLimited: { readonly discord: number; readonly slack: number };
  readonly finalMs: { readonly p95: number; readonly max: number } | undefined;
  /** Which process was SIGKILLed, when. */
  readonly kills: readonly { readonly slot: SlotName; readonly at: number }[];
  readonly termination: Termination | undefined;
  readonly cuts: readonly StoreCut[];
  readonly chutesFaults: Readonly<Record<ChutesFault, number>>;
  readonly unplanned: readonly Unplanned[];
  /**
   * How the wait after the load ended: every accepted question answered exactly
   * and the queues idle (`settled`); the queues idle and nothing moving for a
   * while with questions still open (`quiet`); or the bound (`bound`).
   */
  readonly drain: 'settled' | 'quiet' | 'bound';
  /** Lines of evidence: each question lost, twice or wrong, stray messages, error logs, 429s. */
  readonly details: readonly string[];
  /** The targets this run missed (empty: all met). */
  readonly missed: readonly string[];
}

function count(verdicts: readonly Verdict[]): Counts {
  const accepted = verdicts.filter((v) => v.accepted);
  const of = (o: Outcome) => accepted.filter((v) => v.outcome === o).length;
  return {
    sent: verdicts.length,
    accepted: accepted.length,
    exact: of('exact'),
    twice: of('twice'),
    wrong: of('wrong'),
    lost: of('lost'),
  };
}

export function summarise(
  verdicts: readonly Verdict[],
  /** Log lines about a question that went wrong. */
  trace: (q: Question) => readonly string[],
  rest: Omit<
    ChaosReport,
    'totals' | 'byKind' | 'answeredUnaccepted' | 'finalMs' | 'missed' | 'details'
  > & { readonly details: readonly string[] },
): ChaosReport {
  const totals = count(verdicts);
  const byKind = Object.fromEntries(
    QUESTION_KINDS.map((k) => [k, count(verdicts.filter((v) => v.question.kind === k))]),
  ) as Record<QuestionKind, Counts>;
  const times = verdicts
    .filter((v) => v.accepted && v.finalAt !== undefined)
    .map((v) => v.finalAt! - v.question.sentAt);
  const missed = [
    totals.accepted === 0 ? 'no question was accepted' : '',
    totals.lost ? `${totals.lost} lost` : '',
    totals.twice ? `${totals.twice} answered twice` : '',
    totals.wrong ? `${totals.wrong} with the wrong text` : '',
    rest.rateLimited.discord ? `${rest.rateLimited.discord} Discord 429s` : '',
    rest.rateLimited.slack ? `${rest.rateLimited.slack} Slack 429s` : '',
  ].filter(Boolean);
  const details = verdicts
    .filter((v) => v.accepted && v.outcome !== 'exact')
    .flatMap((v) => [
      `${v.outcome} ${v.question.marker} (${v.question.kind} in ${v.question.channel}, sent at ` +
        `+${((v.question.sentAt - rest.wallStart) / 1000).toFixed(1)} s, ${v.modelCalls ?? 0} ` +
        `Chutes requests): ${v.shown ?? 'no answer'}`,
      ...trace(v.question).map((line) => `    ${line}`),
    ]);
  return {
    ...rest,
    totals,
    byKind,
    answeredUnaccepted: verdicts.filter((v) => !v.accepted && v.outcome !== 'lost').length,
    finalMs: times.length ? { p95: percentile(times, 95), max: Math.max(...times) } : undefined,
    details: [...details, ...rest.details],
    missed,
  };
}

const DRAIN_WORDS: Record<ChaosReport['drain'], string> = {
  settled: 'with every accepted question answered exactly and the queues idle',
  quiet: 'with questions open but the queues idle and nothing moving',
  bound: 'at its time bound, with work still going on',
};

/** Lines of evidence printed per backend. */
const MAX_DETAILS = 120;

const seconds = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(1));

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The outcome table: one row per backend. */
export function outcomeTable(reports: readonly ChaosReport[]): string {
  return table(
    [
      'backend',
      'load',
      'sent',
      'accepted',
      'exact once',
      'twice',
      'wrong',
      'lost',
      '429 Discord',
      '429 Slack',
      'p95 q→final (s)',
      'max q→final (s)',
    ],
    reports.map((r) => [
      r.backend,
      `${(r.loadMs / 60_000).toFixed(1)} min`,
      String(r.totals.sent),
      String(r.totals.accepted),
      String(r.totals.exact),
      String(r.totals.twice),
      String(r.totals.wrong),
      String(r.totals.lost),
      String(r.rateLimited.discord),
      String(r.rateLimited.slack),
      seconds(r.finalMs?.p95),
      seconds(r.finalMs?.max),
    ]),
  );
}

/** What was done to the service: one row per backend. */
export function faultTable(reports: readonly ChaosReport[]): string {
  return table(
    [
      'backend',
      'SIGKILLs',
      'SIGTERM (exit, took)',
      'store cuts',
      'Chutes 429 / 503 / cut',
      'unplanned exits',
      'failed starts',
    ],
    reports.map((r) => [
      r.backend,
      `${r.kills.length} (${SLOTS.map((slot) => `${slot} ${r.kills.filter((k) => k.slot === slot).length}`).join(', ')})`,
      r.termination
        ? `${r.termination.slot}: ${r.termination.exitCode}, ${seconds(r.termination.tookMs)} s, ` +
          `${r.termination.handBack.length} hand-back lines`
        : 'none',
      r.cuts.map((c) => `${c.store} ${c.forMs / 1000} s`).join(', ') || 'none',
      `${r.chutesFaults['429']} / ${r.chutesFaults['503']} / ${r.chutesFaults.cut}`,
      String(r.unplanned.filter((u) => u.what === 'exited').length),
      String(r.unplanned.filter((u) => u.what === 'failed to start').length),
    ]),
  );
}

/** Accepted / exact once / twice / wrong / lost per kind of question. */
export function kindTable(reports: readonly ChaosReport[]): string {
  const rows = reports.flatMap((r) =>
    QUESTION_KINDS.map((k) => {
      const c = r.byKind[k];
      return [r.backend, k, ...[c.sent, c.accepted, c.exact, c.twice, c.wrong, c.lost].map(String)];
    }),
  );
  return table(
    ['backend', 'question', 'sent', 'accepted', 'exact once', 'twice', 'wrong', 'lost'],
    rows,
  );
}

/** The whole printout: tables, then each backend's evidence. */
export function printout(reports: readonly ChaosReport[]): string {
  const lines = [outcomeTable(reports), '', faultTable(reports), '', kindTable(reports), ''];
  for (const r of reports) {
    lines.push(
      `${r.backend}: seed ${r.seed}, wall ${seconds(r.wallMs)} s, ` +
        `drain ended ${DRAIN_WORDS[r.drain]}; ` +
        `${r.answeredUnaccepted} answered though not accepted; ` +
        (r.missed.length ? `targets missed: ${r.missed.join(', ')}` : 'all targets met'),
    );
    for (const u of r.unplanned) {
      lines.push(
        `  ${u.slot} ${u.what} (${u.how}) at +${seconds(u.at - r.wallStart)} s; last lines: ` +
          u.lastLines.join(' | '),
      );
    }
    for (const d of r.details.slice(0, MAX_DETAILS)) lines.push(`  ${d}`);
    if (r.details.length > MAX_DETAILS) {
      lines.push(`  … and ${r.details.length - MAX_DETAILS} more lines`);
    }
  }
  return lines.join('\n');
}
