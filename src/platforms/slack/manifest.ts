/**
 * The Slack app manifest (manifest.json, committed for people to paste into
 * api.slack.com) with its `slash_commands` rendered from the command
 * definitions. `npx tsx test/support/slack-manifest.ts` rewrites the file; a unit test
 * fails while the committed one disagrees with the definitions.
 */
import { manifestSlashCommands, type ManifestSlashCommand } from './command-text.js';

/** The committed manifest, relative to the repository root. */
export const MANIFEST_PATH = 'src/platforms/slack/manifest.json';

/** The parts of the manifest this service derives or checks. */
export interface SlackManifest {
  readonly features: { readonly slash_commands?: readonly ManifestSlashCommand[] };
  readonly settings: { readonly event_subscriptions: { readonly request_url: string } };
}

/** The manifest with its slash commands as the definitions say, sent where its events go. */
export function renderManifest<M extends SlackManifest>(manifest: M): M {
  const url = manifest.settings.event_subscriptions.request_url;
  return {
    ...manifest,
    features: { ...manifest.features, slash_commands: manifestSlashCommands(url) },
  };
}
