/**
 * What fitting the history to the model costs a question: loading the
 * tokenizer once, then counting a long history the first time (nothing
 * cached) and again (every stored message cached, as for the next question of
 * the same conversation). Run: `node --import tsx bench/history-fit.ts`.
 */
import { performance } from 'node:perf_hooks';
import type { StoredMessage } from '../src/core/conversation.js';
import { fitHistory } from '../src/core/history-fit.js';
import { tokenCounter } from '../src/core/token-count.js';

const WORDS = (
  'the quick brown fox jumps over the lazy dog and then — naïve café 日本語のテキスト 🙂 ' +
  'const x = foo(bar[3]); 1234567890 https://example.com/a?b=c'
).split(' ');

/** Text of about `chars` characters, different for each seed. */
function text(chars: number, seed: number): string {
  let out = '';
  for (let i = seed; out.length < chars; i = (i * 31 + 7) % 1_000_003) {
    out += WORDS[i % WORDS.length] + (i % 9 === 0 ? '\n' : ' ');
  }
  return out;
}

function history(messages: number, chars: number, seed: number): StoredMessage[] {
  return Array.from({ length: messages }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    authorName: i % 2 === 0 ? 'Ann' : null,
    content: text(chars, seed * 1_000 + i),
  }));
}

const heapBefore = process.memoryUsage().heapUsed;
let started = performance.now();
const count = await tokenCounter();
const loadMs = performance.now() - started;
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
console.log(`load the tokenizer: ${loadMs.toFixed(0)} ms, ${heapMb.toFixed(0)} MB of heap`);

for (const [messages, chars] of [
  [50, 2_000],
  [50, 200],
  [1_000, 200],
] as const) {
  const times: { cold: number; warm: number[] } = { cold: 0, warm: [] };
  for (let seed = 1; seed <= 5; seed++) {
    const stored = history(messages, chars, seed);
    const fit = () =>
      fitHistory({
        systemPrompt: 'You are a helpful assistant in a group chat.',
        history: stored,
        current: { authorName: 'Bob', content: text(500, seed) },
        historyBudget: 1_000_000,
        contextLength: 1_000_000,
        answerTokens: 1_024,
        count,
      });
    started = performance.now();
    fit();
    times.cold += (performance.now() - started) / 5;
    for (let run = 0; run < 20; run++) {
      started = performance.now();
      fit();
      times.warm.push(performance.now() - started);
    }
  }
  const warm = times.warm.sort((a, b) => a - b);
  console.log(
    `${messages} stored messages of ${chars} characters: first ${times.cold.toFixed(2)} ms, ` +
      `again p50 ${warm[Math.floor(warm.length / 2)]!.toFixed(3)} ms, ` +
      `p95 ${warm[Math.floor(warm.length * 0.95)]!.toFixed(3)} ms`,
  );
}

const question = text(40_000, 7);
started = performance.now();
const tokens = count(question);
console.log(
  `a 40,000-character question: ${tokens} tokens in ${(performance.now() - started).toFixed(1)} ms`,
);
