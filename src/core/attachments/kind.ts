import type { AttachmentRef, FileKind } from './types.js';

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
const IMAGE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif']);
const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/x-yaml',
  'application/yaml',
  'application/javascript',
  'application/typescript',
  'application/x-sh',
  'application/sql',
  'application/toml',
]);
/** Plain text, Markdown, data and the usual code files. */
const TEXT_EXTENSIONS = new Set(
  (
    'txt text md markdown rst log csv tsv json jsonl ndjson yaml yml toml ini cfg conf xml html htm css scss ' +
    'js mjs cjs jsx ts tsx py rb go rs java kt kts c h cc cpp hpp cs swift php pl lua r sql sh bash zsh ' +
    'ps1 bat dockerfile makefile gradle scala clj ex exs erl hs ml vue svelte tex diff patch env gitignore'
  ).split(' '),
);

function extension(name: string): string {
  const lower = name.toLowerCase();
  const dot = lower.lastIndexOf('.');
  return dot < 0 ? lower : lower.slice(dot + 1);
}

/** What a file is, from the type the platform gave and its name's extension. */
export function fileKind(file: Pick<AttachmentRef, 'name' | 'contentType'>): FileKind {
  const type = (file.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const ext = extension(file.name);
  if (IMAGE_TYPES.has(type) || (type === '' && IMAGE_EXTENSIONS.has(ext))) return 'image';
  if (type === 'application/pdf' || ext === 'pdf') return 'pdf';
  if (type.startsWith('text/') || TEXT_TYPES.has(type) || TEXT_EXTENSIONS.has(ext)) return 'text';
  // A platform that knows no better says octet-stream: the name decides.
  if (IMAGE_EXTENSIONS.has(ext)) return 'image';
  return 'other';
}
