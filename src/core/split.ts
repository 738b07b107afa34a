/**
 * Splits a long answer into messages no longer than a platform's limit.
 *
 * - A cut prefers a line break, then a space, and never falls inside a
 *   grapheme (so never inside a surrogate pair or an emoji sequence).
 * - A cut inside a fenced code block closes the fence at the end of the page
 *   and reopens it, with its language tag, at the start of the next one.
 * - Joining the pages with their added fence lines removed gives back the text.
 *
 * Splitting depends only on the text before each cut, so while an answer
 * streams, a page that is no longer the last one never changes again.
 */

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

interface Fence {
  readonly marker: string;
  readonly info: string;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function splitMessage(text: string, maxLength: number): string[] {
  if (maxLength < 40) throw new RangeError('maxLength must leave room for code fences');
  const pages: string[] = [];
  let rest = text;
  let openFence: Fence | undefined;
  while (true) {
    const prefix = openFence ? `${openFence.marker}${openFence.info}\n` : '';
    if (prefix.length + rest.length <= maxLength) {
      pages.push(prefix + rest);
      return pages;
    }
    // Leave room for a closing fence in case the page ends inside a block.
    const room = maxLength - prefix.length - closingRoom(openFence, rest, maxLength);
    const cut = chooseCut(rest, room);
    const body = rest.slice(0, cut);
    const fenceAtCut = fenceStateAfter(body, openFence);
    let page = prefix + body;
    if (fenceAtCut) page += `${body.endsWith('\n') ? '' : '\n'}${fenceAtCut.marker}`;
    pages.push(page);
    rest = rest.slice(cut);
    openFence = fenceAtCut;
  }
}

/** The longest closing fence the page might need ("\n" + marker). */
function closingRoom(openFence: Fence | undefined, rest: string, maxLength: number): number {
  let longest = openFence ? openFence.marker.length : 3;
  for (const match of rest.slice(0, maxLength).matchAll(/^ {0,3}(`{3,}|~{3,})/gm)) {
    longest = Math.max(longest, match[1]!.length);
  }
  return longest + 1;
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
  let state = open;
  const lines = body.split('\n');
  // A trailing partial line (no newline yet) can still be a fence line.
  for (const line of lines) {
    const match = FENCE_LINE.exec(line);
    if (!match) continue;
    const marker = match[1]!;
    const info = match[2]!.trim();
    if (!state) {
      state = { marker, info };
    } else if (
      marker[0] === state.marker[0] &&
      marker.length >= state.marker.length &&
      info === ''
    ) {
      state = undefined;
    }
  }
  return state;
}
