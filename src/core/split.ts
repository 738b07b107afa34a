/**
 * Splits a long answer into messages no longer than a platform's limit.
 *
 * - A cut prefers a line break, then a space, and never falls inside a
 *   grapheme (so never inside a surrogate pair or an emoji sequence).
 * - A code block that begins on a page but would not end there starts the
 *   next page instead; only a block longer than a whole page is cut, its
 *   fence closed at the end of the page and reopened, with its language tag,
 *   at the start of the next one.
 * - Joining the pages with their added fence lines removed gives back the text.
 *
 * Splitting depends only on the text before each cut, so while an answer
 * streams, a page that is no longer the last one never changes again.
 */

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

export interface Fence {
  readonly marker: string;
  readonly info: string;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function splitMessage(text: string, maxLength: number): string[] {
  return splitFrom(text, maxLength, START).pages;
}

/** Where a page begins in the text, and the code fence it reopens. Plain data. */
export interface SplitCursor {
  readonly offset: number;
  readonly openFence?: Fence;
}

export const START: SplitCursor = { offset: 0 };

/**
 * Splits `text` from `from` (the start of a page found by an earlier split
 * of a prefix of the same text) to the end: the pages, and where the last one
 * begins. A streaming answer splits only its unsettled tail this way.
 */
export function splitFrom(
  text: string,
  maxLength: number,
  from: SplitCursor,
): { pages: string[]; last: SplitCursor } {
  if (maxLength < 40) throw new RangeError('maxLength must leave room for code fences');
  const pages: string[] = [];
  let offset = from.offset;
  let openFence = from.openFence;
  while (true) {
    const rest = text.slice(offset);
    const prefix = openFence ? `${openFence.marker}${openFence.info}\n` : '';
    if (prefix.length + rest.length <= maxLength) {
      pages.push(prefix + rest);
      return { pages, last: { offset, openFence } };
    }
    const { cut, fence } = cutPage(rest, maxLength - prefix.length, openFence);
    const body = rest.slice(0, cut);
    let page = prefix + body;
    if (fence) page += `${body.endsWith('\n') ? '' : '\n'}${fence.marker}`;
    pages.push(page);
    offset += cut;
    openFence = fence;
  }
}

/**
 * Where to end a page of at most `room` characters, with room for a closing
 * fence if it needs one. A cut that would fall inside a code block opened on
 * this page moves to just before the block, which then starts the next page
 * whole: only a block longer than a message is ever closed and reopened.
 */
function cutPage(
  rest: string,
  room: number,
  open: Fence | undefined,
): { cut: number; fence?: Fence } {
  let limit = room;
  for (;;) {
    const cut = chooseCut(rest, limit);
    const body = rest.slice(0, cut);
    const { fence, openedAt } = scanFences(body, open);
    if (fence && openedAt > 0) return { cut: openedAt };
    const closing = fence ? fence.marker.length + (body.endsWith('\n') ? 0 : 1) : 0;
    if (cut + closing <= room || limit <= 1) return { cut, fence };
    limit = Math.min(limit - 1, room - closing);
  }
}

function chooseCut(rest: string, room: number): number {
  const window = rest.slice(0, room + 1);
  // A line break in the second half of the window keeps paragraphs whole.
  const newline = window.lastIndexOf('\n', room - 1);
  if (newline >= room / 2) return newline + 1;
  const space = Math.max(window.lastIndexOf(' ', room - 1), window.lastIndexOf('\t', room - 1));
  if (space >= room / 2) return space + 1;
  return graphemeBoundaryAtOrBefore(rest, room);
}

function graphemeBoundaryAtOrBefore(text: string, index: number): number {
  let boundary = 0;
  // Segment only a little past the index: enough to see the grapheme that spans it.
  for (const { index: start } of segmenter.segment(text.slice(0, index + 32))) {
    if (start > index) break;
    boundary = start;
  }
  // A single grapheme longer than the room (pathological) is cut at a code point.
  if (boundary === 0) {
    const code = text.charCodeAt(index - 1);
    return code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
  }
  return boundary;
}

/** Which fence (if any) is open at the end of `body`, given the one open at its start. */
function fenceStateAfter(body: string, open: Fence | undefined): Fence | undefined {
  return scanFences(body, open).fence;
}

/**
 * The fence open at the end of `body`, and where in `body` its opening line
 * starts (-1 when it was already open at the start, or none is open).
 */
function scanFences(
  body: string,
  open: Fence | undefined,
): { fence: Fence | undefined; openedAt: number } {
  let state = open;
  let openedAt = -1;
  let offset = 0;
  // A trailing partial line (no newline yet) can still be a fence line.
  for (const line of body.split('\n')) {
    const match = FENCE_LINE.exec(line);
    if (match) {
      const marker = match[1]!;
      const info = match[2]!.trim();
      if (!state) {
        state = { marker, info };
        openedAt = offset;
      } else if (
        marker[0] === state.marker[0] &&
        marker.length >= state.marker.length &&
        info === ''
      ) {
        state = undefined;
        openedAt = -1;
      }
    }
    offset += line.length + 1;
  }
  return { fence: state, openedAt };
}

/** Shortens a one-message text to the limit, on a grapheme boundary, marking the cut. */
export function clip(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return `${text.slice(0, graphemeBoundaryAtOrBefore(text, maxLength - 1))}…`;
}

/**
 * For display while an answer streams: a page that ends inside a code block
 * gets a closing fence, if it fits, so the block renders as one.
 */
export function closeOpenFence(page: string, maxLength: number): string {
  const open = fenceStateAfter(page, undefined);
  if (!open) return page;
  const closed = `${page}${page.endsWith('\n') ? '' : '\n'}${open.marker}`;
  return closed.length <= maxLength ? closed : page;
}

/**
 * The pages of a text that only grows (a streaming answer), split again from
 * where the unsettled tail begins: a page followed by another never changes,
 * so the work per update stays small however long the answer gets.
 */
export class GrowingPages {
  private readonly settled: string[] = [];
  private tail: SplitCursor = START;

  constructor(private readonly maxLength: number) {}

  /** `text` must extend the text of the previous call. */
  pages(text: string): string[] {
    const { pages, last } = splitFrom(text, this.maxLength, this.tail);
    this.settled.push(...pages.slice(0, -1));
    this.tail = last;
    return [...this.settled, pages.at(-1)!];
  }
}

/** At most `maxPages` pages; the last one kept ends with `note`, saying the text was cut there. */
export function capPages(
  pages: string[],
  maxPages: number,
  maxLength: number,
  note: string,
): string[] {
  if (pages.length <= maxPages) return pages;
  const ending = `\n\n${note}`;
  const kept = pages.slice(0, maxPages);
  kept[kept.length - 1] = clip(kept.at(-1)!, maxLength - ending.length) + ending;
  return kept;
}
