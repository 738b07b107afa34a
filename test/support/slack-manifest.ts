/**
 * The committed Slack manifest and the one the command definitions render
 * (src/platforms/slack/manifest.ts), formatted as the repository formats
 * JSON. Run it after adding or changing a command to rewrite the file:
 *
 *   npx tsx test/support/slack-manifest.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import {
  MANIFEST_PATH,
  renderManifest,
  type SlackManifest,
} from '../../src/platforms/slack/manifest.js';

const FILE = fileURLToPath(new URL(`../../${MANIFEST_PATH}`, import.meta.url));

/** The file as committed, and as the definitions would have it. */
export async function manifestTexts(): Promise<{ committed: string; rendered: string }> {
  const committed = await readFile(FILE, 'utf8');
  const manifest = renderManifest(JSON.parse(committed) as SlackManifest);
  const rendered = await format(JSON.stringify(manifest, null, 2), {
    ...(await resolveConfig(FILE)),
    filepath: FILE,
  });
  return { committed, rendered };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { committed, rendered } = await manifestTexts();
  if (committed === rendered) console.log(`${MANIFEST_PATH} is up to date.`);
  else {
    await writeFile(FILE, rendered);
    console.log(`Wrote ${MANIFEST_PATH}.`);
  }
}
