/**
 * From what the fakes recorded to the figures of one row. Everything is computed
 * after the run from timestamps the fakes took (Date.now() on one machine).
 */
import type { RecordedRequest } from '../test/fakes/chutes/index.js';
import { markerOf } from './answers.js';

/** One version of one visible message: its text from `at` on. */
export interface Version {
  readonly at: number;
  readonly text: string;
}

/** What one question got on the platform. */
export interface AnswerView {
  readonly marker: string;
  /** When the fake platform dispatched the mention. */
  readonly eventAt: number;
  /** The model's whole text for this question. */
  readonly modelText: string;
  /** When something answering it first became visible (a reply, a status, a reaction). */
  readonly firstVisibleAt: number | undefined;
  /** When the first bot message answering it appeared (statuses and reactions aside). */
  readonly firstMessageAt: number | undefined;
  /** The answer's messages in order, each with its versions in time order. */
  readonly pages: readonly (readonly Version[])[];
}

export interface RowMetrics {
  readonly total: number;
  /** Answers whose visible text came to equal the model's (whitespace aside). */
  readonly final: number;
  /** Answers whose last visible text is exactly the model's text. */
  readonly exact: number;
  /** Answers that are not exactly the model's text at the end (unfinished ones included). */
  readonly mismatched: readonly Mismatch[];
  readonly requested: number;
  readonly eventToRequest: Percentiles | undefined;
  readonly visible: number;
  readonly eventToVisible: Percentiles | undefined;
  /** Event → the first bot message (what is visible, statuses and reactions aside). */
  readonly eventToMessage: Percentiles | undefined;
  /** p95 of display lag over every chunk of every answer, in ms. */
  readonly lagP95: number | undefined;
  /** Chunks never shown by the end, counted with the lag they had at the end. */
  readonly lagCensored: number;
  readonly lagChunks: number;
  /** First event → last answer final; undefined unless every answer got final. */
  readonly allFinalMs: number | undefined;
  /** First event → the last answer that did get final (for partial rows). */
  readonly lastFinalMs: number | undefined;
  /** The answer that got final last (or never), to see where the time went. */
  readonly slowest: Slowest | undefined;
  /** Most chat streams open at once at the fake Chutes. */
  readonly streamsPeak: number;
  readonly chutesRequests: number;
}

export interface Mismatch {
  readonly marker: string;
  /** Its visible text equals the model's except for whitespace. */
  readonly whitespaceOnly: boolean;
  readonly shown: string;
  readonly expected: string;
}

export interface Slowest {
  readonly marker: string;
  /** Its event → its final text; undefined when it never got final. */
  readonly finalAfterMs: number | undefined;
  readonly requestAfterMs: number | undefined;
  readonly visibleAfterMs: number | undefined;
  /** Its event → each change of its visible text. */
  readonly changesAfterMs: readonly number[];
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

const percentiles = (values: readonly number[]): Percentiles | undefined =>
  values.length ? { p50: percentile(values, 50), p95: percentile(values, 95) } : undefined;

/** Whitespace does not count when judging what is visible (page cuts may drop it). */
const squash = (s: string) => s.replace(/\s+/g, '');

/** The answer's whole visible text over time: the pages' texts joined, at each change. */
export function timeline(pages: readonly (readonly Version[])[]): Version[] {
  const events = pages
    .flatMap((versions, page) => versions.map((v) => ({ ...v, page })))
    .sort((a, b) => a.at - b.at || a.page - b.page);
  const current = pages.map(() => '');
  return events.map((e) => {
    current[e.page] = e.text;
    return { at: e.at, text: current.join('') };
  });
}

/** The current visible text (the last version of every page), for the end-of-run check. */
export const currentText = (pages: readonly (readonly Version[])[]): string =>
  pages.map((versions) => versions.at(-1)?.text ?? '').join('');

export const isFinal = (view: Pick<AnswerView, 'pages' | 'modelText'>): boolean =>
  squash(currentText(view.pages)) === squash(view.modelText);

/** Most intervals open at one moment. */
function peakOverlap(intervals: readonly [number, number][]): number {
  const points = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]);
  points.sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!);
  let open = 0;
  let peak = 0;
  for (const [, d] of points) {
    open += d!;
    peak = Math.max(peak, open);
  }
  return peak;
}

export function computeMetrics(
  views: readonly AnswerView[],
  requests: readonly RecordedRequest[],
  endAt: number,
): RowMetrics {
  const chat = requests.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
  const byMarker = new Map<string, RecordedRequest[]>();
  for (const r of chat) {
    const marker = markerOf(r.body);
    if (!marker) continue;
    const list = byMarker.get(marker) ?? [];
    list.push(r);
    byMarker.set(marker, list);
  }
  const eventToRequest: number[] = [];
  const eventToVisible: number[] = [];
  const eventToMessage: number[] = [];
  const lags: number[] = [];
  let lagCensored = 0;
  const finals: number[] = [];
  const mismatched: Mismatch[] = [];
  let exact = 0;
  let slowest: Slowest | undefined;
  const rank = (x: Slowest | undefined) => x?.finalAfterMs ?? Infinity;
  for (const view of views) {
    const reqs = byMarker.get(view.marker) ?? [];
    if (reqs[0]) eventToRequest.push(reqs[0].at - view.eventAt);
    if (view.firstVisibleAt !== undefined) eventToVisible.push(view.firstVisibleAt - view.eventAt);
    if (view.firstMessageAt !== undefined) eventToMessage.push(view.firstMessageAt - view.eventAt);
    const shown = timeline(view.pages).map((v) => ({ at: v.at, text: squash(v.text) }));
    const target = squash(view.modelText);
    const finalAt = shown.find((v) => v.text === target)?.at;
    if (finalAt !== undefined) finals.push(finalAt);
    const after = (t: number | undefined) => (t === undefined ? undefined : t - view.eventAt);
    if (!slowest || rank(slowest) < (finalAt === undefined ? Infinity : finalAt - view.eventAt)) {
      slowest = {
        marker: view.marker,
        finalAfterMs: after(finalAt),
        requestAfterMs: after(reqs[0]?.at),
        visibleAfterMs: after(view.firstVisibleAt),
        changesAfterMs: shown.map((v) => v.at - view.eventAt),
      };
    }
    const last = currentText(view.pages);
    if (last === view.modelText) exact += 1;
    else {
      mismatched.push({
        marker: view.marker,
        whitespaceOnly: squash(last) === target,
        shown: last,
        expected: view.modelText,
      });
    }
    // The chunks of the stream whose text was shown: the last request that sent any.
    const streamed = [...reqs].reverse().find((r) => r.chunks?.length)?.chunks ?? [];
    let prefix = '';
    let j = 0;
    for (const chunk of streamed) {
      prefix += squash(chunk.content);
      while (j < shown.length && !shown[j]!.text.includes(prefix)) j += 1;
      if (j < shown.length) lags.push(Math.max(0, shown[j]!.at - chunk.at));
      else {
        lags.push(Math.max(0, endAt - chunk.at));
        lagCensored += 1;
      }
    }
  }
  const firstEvent = Math.min(...views.map((v) => v.eventAt));
  const streams = chat
    .filter((r) => r.chunks !== undefined)
    .map((r): [number, number] => [r.at, r.endedAt ?? r.disconnectedAt ?? endAt]);
  return {
    total: views.length,
    final: finals.length,
    exact,
    mismatched,
    requested: eventToRequest.length,
    eventToRequest: percentiles(eventToRequest),
    visible: eventToVisible.length,
    eventToVisible: percentiles(eventToVisible),
    eventToMessage: percentiles(eventToMessage),
    lagP95: lags.length ? percentile(lags, 95) : undefined,
    lagCensored,
    lagChunks: lags.length,
    allFinalMs:
      finals.length === views.length && views.length ? Math.max(...finals) - firstEvent : undefined,
    lastFinalMs: finals.length ? Math.max(...finals) - firstEvent : undefined,
    slowest,
    streamsPeak: peakOverlap(streams),
    chutesRequests: chat.length,
  };
}
