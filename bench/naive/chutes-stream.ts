/**
 * The naive bots' model call: one streaming request to Chutes' OpenAI-compatible
 * endpoint, read with eventsource-parser. No retries, no timeouts beyond fetch's.
 */
import { createParser } from 'eventsource-parser';

export interface ChutesTarget {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
}

/** A variable the naive bots cannot run without. */
export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Chutes as the benchmark configures the naive bots: CHUTES_BASE_URL, CHUTES_API_KEY, CHUTES_MODEL. */
export function chutesFromEnv(): ChutesTarget {
  return {
    baseUrl: env('CHUTES_BASE_URL'),
    apiKey: env('CHUTES_API_KEY'),
    model: env('CHUTES_MODEL'),
  };
}

/** Yields the answer's content deltas as they arrive. */
export async function* streamAnswer(
  target: ChutesTarget,
  question: string,
): AsyncGenerator<string> {
  const res = await fetch(`${target.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: target.model,
      messages: [{ role: 'user', content: question }],
      stream: true,
    }),
  });
  if (!res.ok || !res.body) throw new Error(`Chutes answered HTTP ${res.status}`);
  const pending: string[] = [];
  let done = false;
  const parser = createParser({
    onEvent(event) {
      if (event.data === '[DONE]') {
        done = true;
        return;
      }
      const chunk = JSON.parse(event.data) as {
        choices?: { delta?: { content?: string | null } }[];
      };
      const content = chunk.choices?.[0]?.delta?.content;
      if (content) pending.push(content);
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of res.body) {
    parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
    while (pending.length > 0) yield pending.shift()!;
    if (done) return;
  }
}

/**
 * Shows a growing text the naive way: at most one edit a second (skipped while the
 * previous edit is still on its way), then one final edit with the whole text.
 */
export class SecondlyEditor {
  private text = '';
  private shown = '';
  private inFlight: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly edit: (text: string) => Promise<unknown>) {
    this.timer = setInterval(() => this.tick(), 1_000);
  }

  append(delta: string): void {
    this.text += delta;
  }

  private tick(): void {
    if (this.inFlight || this.text === this.shown || this.text === '') return;
    const snapshot = this.text;
    this.inFlight = this.edit(snapshot).then(
      () => void (this.shown = snapshot),
      (err: unknown) => console.error('edit failed:', String(err)),
    );
    void this.inFlight.finally(() => (this.inFlight = undefined));
  }

  /** Stops the ticks, waits for an edit on its way, then shows `final`. */
  async finish(final: string): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
    if (final !== this.shown) await this.edit(final);
  }

  get current(): string {
    return this.text;
  }
}
