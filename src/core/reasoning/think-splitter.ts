/**
 * Separates the thinking some reasoning models write into their content,
 * `<think>…</think>`, from the answer, as the content streams in pieces that
 * may cut a tag anywhere. Templates such as DeepSeek-R1's put the opening tag
 * into the prompt, so the content starts inside the thinking and only
 * `</think>` appears: text given out as answer before such a closing tag
 * turns out to have been thinking, and is handed back (`retracted`).
 *
 * Only the first tag counts, and `<think>` only at the very start: a tag
 * later in an answer (code about these tags) is the answer's text.
 */

const OPEN = '<think>';
const CLOSE = '</think>';

export interface SplitPiece {
  /** New answer text. */
  readonly answer: string;
  /** New thinking. */
  readonly thinking: string;
  /**
   * Text given out as answer by earlier pieces that turned out to be thinking
   * (a `</think>` without an opening tag): whoever showed it takes it back.
   */
  readonly retracted?: string;
}

export interface ThinkSplitterOptions {
  /**
   * The content starts inside the thinking even without `<think>` (the model
   * is known to leave the opening tag out): nothing is given out as answer
   * before `</think>`. Should no closing tag come, all of it was the answer.
   */
  readonly startsThinking?: boolean;
}

type State =
  /** Nothing but white space yet: whether it opens with `<think>` is still open. */
  | 'start'
  /** No tag seen: answer, unless a `</think>` shows it was thinking. */
  | 'answer'
  | 'thinking'
  /** The thinking is over: everything is answer. */
  | 'after';

/** How many characters at the end of `text` could be the start of `tag`. */
function partialTagAt(text: string, tag: string): number {
  for (let keep = Math.min(tag.length - 1, text.length); keep > 0; keep--) {
    if (tag.startsWith(text.slice(text.length - keep))) return keep;
  }
  return 0;
}

/**
 * Whether a `</think>` after `text` stands in code (an inline code span, or a
 * fenced block still open): a model writing about the tags, not closing one.
 */
function quoted(text: string): boolean {
  if (text.endsWith('`')) return true;
  return (text.match(/^\s*(```|~~~)/gm) ?? []).length % 2 === 1;
}

export class ThinkSplitter {
  private state: State = 'start';
  private buffer = '';
  /** Answer given out while no tag was seen: thinking if a `</think>` follows. */
  private given = '';
  /** Thinking assumed without an opening tag: the answer after all if no `</think>` comes. */
  private assumed = '';
  private assuming = false;
  private trimLead = false;
  private bareClose = false;

  constructor(private readonly options: ThinkSplitterOptions = {}) {}

  /** A `</think>` came without `<think>`: the model leaves the opening tag out. */
  get closedWithoutOpening(): boolean {
    return this.bareClose;
  }

  /** Feeds the next piece of content. */
  push(text: string): SplitPiece {
    this.buffer += text;
    let answer = '';
    let thinking = '';
    let retracted: string | undefined;
    for (;;) {
      if (this.state === 'start') {
        const lead = this.buffer.trimStart();
        if (lead === '' || (OPEN.startsWith(lead) && lead !== OPEN)) break;
        if (lead.startsWith(OPEN)) {
          this.buffer = lead.slice(OPEN.length);
          this.state = 'thinking';
        } else if (this.options.startsThinking) {
          this.state = 'thinking';
          this.assuming = true;
        } else {
          this.buffer = lead;
          this.state = 'answer';
        }
        continue;
      }
      if (this.state === 'after') {
        if (this.trimLead) {
          // Models put a blank line after `</think>`.
          this.buffer = this.buffer.trimStart();
          if (this.buffer === '') break;
          this.trimLead = false;
        }
        answer += this.buffer;
        this.buffer = '';
        break;
      }
      const at = this.buffer.indexOf(CLOSE);
      if (at === -1) {
        const ready = this.buffer.length - partialTagAt(this.buffer, CLOSE);
        const text = this.buffer.slice(0, ready);
        this.buffer = this.buffer.slice(ready);
        if (this.state === 'answer') {
          this.given += text;
          answer += text;
        } else {
          if (this.assuming) this.assumed += text;
          thinking += text;
        }
        break;
      }
      const before = this.buffer.slice(0, at);
      if (this.state === 'answer' && quoted(this.given + answer + before)) {
        // An answer about the tag (in code), not the end of a thinking.
        const text = before + CLOSE;
        this.given += text;
        answer += text;
        this.buffer = this.buffer.slice(at + CLOSE.length);
        continue;
      }
      this.buffer = this.buffer.slice(at + CLOSE.length);
      if (this.state === 'answer') {
        // Everything so far was thinking: what earlier pieces gave out is taken back.
        this.bareClose = true;
        const earlier = this.given.slice(0, this.given.length - answer.length);
        if (earlier !== '') retracted = earlier;
        thinking += answer + before;
        answer = '';
      } else {
        if (this.assuming) this.bareClose = true;
        thinking += before;
      }
      this.given = '';
      this.assumed = '';
      this.assuming = false;
      this.state = 'after';
      this.trimLead = true;
    }
    return retracted === undefined ? { answer, thinking } : { answer, thinking, retracted };
  }

  /**
   * The content ended: what was held back. Thinking assumed without any tag
   * was the answer after all: `answer` then holds all of it, and `unthought`
   * the part that was taken for thinking. A thinking cut off before
   * `</think>` stays thinking.
   */
  end(): SplitPiece & { readonly unthought?: string } {
    const rest = this.buffer;
    this.buffer = '';
    const state = this.state;
    this.state = 'after';
    if (state === 'thinking' && this.assuming) {
      const unthought = this.assumed;
      this.assuming = false;
      this.assumed = '';
      return { answer: (unthought + rest).trimStart(), thinking: '', unthought };
    }
    if (state === 'thinking') return { answer: '', thinking: rest };
    if (state === 'start') return { answer: rest.trimStart(), thinking: '' };
    if (state === 'after' && this.trimLead) return { answer: rest.trimStart(), thinking: '' };
    this.given += rest;
    return { answer: rest, thinking: '' };
  }
}
