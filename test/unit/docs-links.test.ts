/**
 * The README and docs/ stay a set of pages a newcomer can follow: every
 * relative link and #anchor between them resolves (as GitHub renders them),
 * the README stays short, tables stay narrow, and the configuration page
 * names every variable the service reads.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import GithubSlugger from 'github-slugger';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../src/config.js';

/** The README is the five-minute page; depth belongs in docs/. */
const README_MAX_BYTES = 20_000;
/** Wider table rows do not fit a reader's screen; a list reads better then. */
const TABLE_MAX_CHARS = 120;

const root = new URL('../../', import.meta.url);
const pages = ['README.md', ...readdirSync(new URL('docs/', root)).map((f) => `docs/${f}`)].filter(
  (path) => path.endsWith('.md'),
);

interface MdNode {
  type: string;
  url?: string;
  value?: string;
  children?: MdNode[];
  position?: { start: { line: number } };
}

/** The text of a node as a heading's anchor is made from it. */
function textOf(node: MdNode): string {
  return node.value ?? (node.children ?? []).map(textOf).join('');
}

/** The link and image targets of a Markdown text, and the anchors of its headings. */
export function outline(markdown: string): {
  targets: { url: string; line: number }[];
  anchors: Set<string>;
} {
  const slugger = new GithubSlugger();
  const targets: { url: string; line: number }[] = [];
  const anchors = new Set<string>();
  const visit = (node: MdNode) => {
    if (node.type === 'heading') anchors.add(slugger.slug(textOf(node)));
    if ((node.type === 'link' || node.type === 'image' || node.type === 'definition') && node.url)
      targets.push({ url: node.url, line: node.position?.start.line ?? 0 });
    node.children?.forEach(visit);
  };
  visit(fromMarkdown(markdown) as MdNode);
  return { targets, anchors };
}

/**
 * Every relative link of `paths` that does not resolve: a missing file, or an
 * anchor that no heading of the target page makes. `read` gives a file's text
 * (undefined: no such file or directory; '' for one that is not Markdown).
 */
export function brokenLinks(
  paths: readonly string[],
  read: (path: string) => string | undefined,
): string[] {
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (path: string) => {
    if (!anchorsOf.has(path)) anchorsOf.set(path, outline(read(path) ?? '').anchors);
    return anchorsOf.get(path)!;
  };
  const problems: string[] = [];
  for (const from of paths) {
    for (const { url, line } of outline(read(from) ?? '').targets) {
      // External: a scheme (https:, mailto:) or a protocol-relative URL.
      if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) continue;
      const [file = '', fragment] = url.split('#', 2);
      const target = file === '' ? from : posix.normalize(posix.join(posix.dirname(from), file));
      const where = `${from}:${line} → ${url}`;
      if (target.startsWith('../') || read(target) === undefined) {
        problems.push(`${where}: no file ${target}`);
      } else if (fragment !== undefined && target.endsWith('.md')) {
        if (!anchors(target).has(decodeURIComponent(fragment)))
          problems.push(`${where}: no heading in ${target} makes #${fragment}`);
      }
    }
  }
  return problems;
}

/** A file of the repository: its text for Markdown, '' for anything else, undefined when absent. */
function readRepo(path: string): string | undefined {
  const url = new URL(path, root);
  if (!existsSync(url)) return undefined;
  return path.endsWith('.md') ? readFileSync(url, 'utf8') : '';
}

describe('README.md and docs/', () => {
  it('link only to files and headings that exist', () => {
    expect(pages).toContain('README.md');
    expect(pages.length).toBeGreaterThan(5);
    expect(brokenLinks(pages, readRepo)).toEqual([]);
  });

  it('keep the README a short page', () => {
    const bytes = readFileSync(new URL('README.md', root)).length;
    expect(bytes, `README.md has ${bytes} bytes`).toBeLessThan(README_MAX_BYTES);
  });

  it('link every page of docs/ from the README', () => {
    const linked = new Set(
      outline(readRepo('README.md')!).targets.map(({ url }) => posix.normalize(url.split('#')[0]!)),
    );
    const docs = pages.filter((p) => p.startsWith('docs/'));
    expect(docs.filter((p) => !linked.has(p))).toEqual([]);
  });

  it('keep tables narrow', () => {
    const wide = pages.flatMap((path) =>
      readRepo(path)!
        .split('\n')
        .map((text, i) => ({ where: `${path}:${i + 1}`, text }))
        .filter(({ text }) => text.startsWith('|') && text.length > TABLE_MAX_CHARS)
        .map(({ where, text }) => `${where}: ${text.length} characters`),
    );
    expect(wide).toEqual([]);
  });

  it('document every variable the service reads, on the configuration page', () => {
    const page = readRepo('docs/configuration.md')!;
    expect(ENV_NAMES.length).toBeGreaterThan(20);
    expect(ENV_NAMES.filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('the link check', () => {
  const files: Record<string, string> = {
    'README.md': [
      '# Title',
      '## Quick start: Discord',
      '[ok](docs/a.md) [ok](docs/a.md#the-set-up) [ok](#quick-start-discord) [ok](src/x.ts)',
      '[ext](https://example.com/#nothing) [mail](mailto:a@b.c) ![img](docs/pic.png)',
      '[missing file](docs/none.md) [missing anchor](docs/a.md#nowhere)',
      '[missing here](#quick-start) [outside](../elsewhere.md) [missing image](docs/none.png)',
      '`[not a link](docs/none.md)`',
    ].join('\n'),
    'docs/a.md': '# A\n\n## The set-up\n\n[back](../README.md#title) [wrong](../README.md#a)\n',
    'docs/pic.png': '',
    'src/x.ts': '',
  };
  const problems = brokenLinks(['README.md', 'docs/a.md'], (path) => files[path]);

  it('names each broken link, with its page and line', () => {
    expect(problems).toEqual([
      'README.md:5 → docs/none.md: no file docs/none.md',
      'README.md:5 → docs/a.md#nowhere: no heading in docs/a.md makes #nowhere',
      'README.md:6 → #quick-start: no heading in README.md makes #quick-start',
      'README.md:6 → ../elsewhere.md: no file ../elsewhere.md',
      'README.md:6 → docs/none.png: no file docs/none.png',
      'docs/a.md:5 → ../README.md#a: no heading in README.md makes #a',
    ]);
  });

  it('makes anchors as GitHub does', () => {
    const { anchors } = outline('# Node.js versions\n## `npm test`\n## A flood\n## A flood\n');
    expect([...anchors]).toEqual(['nodejs-versions', 'npm-test', 'a-flood', 'a-flood-1']);
  });
});
