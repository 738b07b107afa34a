import { describe, expect, it } from 'vitest';
import { closeOpenFence, splitMessage } from '../../src/core/split.js';

describe('splitMessage', () => {
  it('keeps a short text as one page, unchanged', () => {
    expect(splitMessage('hello world', 2000)).toEqual(['hello world']);
  });

  it('never produces a page over the limit and loses nothing in plain text', () => {
    const text = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const pages = splitMessage(text, 100);
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(100);
    expect(pages.join('')).toBe(text);
  });

  it('prefers a line break over a space', () => {
    const text = `${'a'.repeat(60)}\n${'b '.repeat(30)}`;
    const pages = splitMessage(text, 80);
    expect(pages[0]).toBe(`${'a'.repeat(60)}\n`);
  });

  it('cuts a run with no spaces at the limit', () => {
    const text = 'x'.repeat(250);
    const pages = splitMessage(text, 100);
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
  });

  it('never cuts inside a surrogate pair or an emoji sequence', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one grapheme
    const text = `${'y'.repeat(95)}${family}${'z'.repeat(20)}`;
    const pages = splitMessage(text, 100);
    expect(pages[0]).toBe('y'.repeat(95));
    expect(pages[1]!.startsWith(family)).toBe(true);
    expect(pages.join('')).toBe(text);
    const pairs = '😀'.repeat(80);
    for (const page of splitMessage(pairs, 51)) {
      expect(page.length % 2).toBe(0);
      expect(page.length).toBeLessThanOrEqual(51);
    }
  });

  it('closes a code fence at a cut and reopens it with its language', () => {
    const code = Array.from({ length: 40 }, (_, i) => `const v${i} = ${i};`).join('\n');
    const text = `Here:\n\`\`\`ts\n${code}\n\`\`\`\nDone.`;
    const pages = splitMessage(text, 200);
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      expect(page.length).toBeLessThanOrEqual(200);
      const fences = page.split('\n').filter((line) => line.startsWith('```')).length;
      expect(fences % 2).toBe(0);
    }
    // The block does not fit in one page: it starts a page of its own and is
    // closed and reopened from there.
    expect(pages[0]).toBe('Here:\n');
    expect(pages[1]!.startsWith('```ts\n')).toBe(true);
    expect(pages[1]!.endsWith('\n```')).toBe(true);
    expect(pages[2]!.startsWith('```ts\n')).toBe(true);
    expect(pages.at(-1)!.endsWith('Done.')).toBe(true);
    // Every line of the original is still there, in order.
    const lines = pages
      .join('\n')
      .split('\n')
      .filter((l) => !/^```(ts)?$/.test(l));
    expect(lines.filter((l) => l !== '')).toEqual(
      text.split('\n').filter((l) => !/^```(ts)?$/.test(l) && l !== ''),
    );
  });

  it('moves a code block that fits in one message to the next page whole', () => {
    const intro = `${'Some words of introduction. '.repeat(4)}\n`;
    const block = `\`\`\`py\n${Array.from({ length: 8 }, (_, i) => `x${i} = ${i}`).join('\n')}\n\`\`\`\n`;
    const text = `${intro}${block}After the block.`;
    expect(block.length).toBeLessThan(100);
    expect(intro.length + block.length).toBeGreaterThan(150);
    const pages = splitMessage(text, 150);
    expect(pages[0]).toBe(intro);
    expect(pages[1]!.startsWith(block)).toBe(true);
    expect(pages.join('')).toBe(text);
    // Nothing was closed or reopened: every page has its fences in pairs, and only the original two.
    expect(pages.join('').match(/```/g)).toHaveLength(2);
  });

  it('handles longer fences and tildes', () => {
    const body = 'line\n'.repeat(60);
    const text = `~~~~\n${body}~~~~\n`;
    const pages = splitMessage(text, 120);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(120);
    expect(pages[0]!.endsWith('~~~~')).toBe(true);
    expect(pages[1]!.startsWith('~~~~\n')).toBe(true);
  });

  it('gives earlier pages that never change as the text grows', () => {
    const full = Array.from({ length: 300 }, (_, i) =>
      i % 7 === 0 ? `\n\`\`\`\nblock ${i}` : `token${i}`,
    ).join(' ');
    const final = splitMessage(full, 150);
    for (let n = 1; n <= full.length; n += 13) {
      const partial = splitMessage(full.slice(0, n), 150);
      for (let i = 0; i < partial.length - 1; i++) expect(partial[i]).toBe(final[i]);
    }
    expect(final.length).toBeGreaterThan(5);
  });
});

describe('closeOpenFence', () => {
  it('closes a block still being written, only when it fits', () => {
    expect(closeOpenFence('Here:\n```ts\nconst a = 1;', 2000)).toBe(
      'Here:\n```ts\nconst a = 1;\n```',
    );
    expect(closeOpenFence('Here:\n```ts\nconst a = 1;\n', 2000)).toBe(
      'Here:\n```ts\nconst a = 1;\n```',
    );
    expect(closeOpenFence('```\ndone\n```\nafter', 2000)).toBe('```\ndone\n```\nafter');
    const full = `\`\`\`\n${'x'.repeat(45)}`;
    expect(closeOpenFence(full, 50)).toBe(full);
  });
});
