/**
 * The Slack manifest asks for exactly the scopes the code's calls and events
 * need (see slack-scopes.ts for the table and its sources): a missing scope
 * fails in a workspace, an extra one asks people for access nothing uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  COMMANDS_SCOPE,
  DOWNLOAD_SCOPES,
  EVENT_SCOPES,
  HELPER_METHODS,
  METHOD_SCOPES,
} from './slack-scopes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLACK_SRC = path.join(ROOT, 'src/platforms/slack');

interface Manifest {
  features: { slash_commands?: unknown[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] } };
}

const manifest = JSON.parse(
  readFileSync(path.join(SLACK_SRC, 'manifest.json'), 'utf8'),
) as Manifest;

/** `client.chat.postMessage(`, `this.client.assistant.threads.setStatus(`: the method's name. */
const CLIENT_CALL = /\bclient\.((?:[a-z][a-z0-9]*\.)+[a-zA-Z]+)\(/g;
const HELPER_CALL = /\bclient\.([a-zA-Z0-9]+)\(/g;
const API_CALL = /\bapiCall\(\s*['"]([\w.]+)['"]/g;

/** Every Web API method the Slack adapter's source calls, by file. */
function calledMethods(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const note = (method: string, file: string) =>
    found.set(method, [...(found.get(method) ?? []), file]);
  for (const file of readdirSync(SLACK_SRC).filter((f) => f.endsWith('.ts'))) {
    const code = readFileSync(path.join(SLACK_SRC, file), 'utf8');
    for (const [, method] of code.matchAll(CLIENT_CALL)) note(method!, file);
    for (const [, method] of code.matchAll(API_CALL)) note(method!, file);
    for (const [, helper] of code.matchAll(HELPER_CALL)) {
      const methods = HELPER_METHODS[helper!];
      if (!methods) throw new Error(`${file} calls client.${helper}(): add it to HELPER_METHODS`);
      for (const method of methods) note(method, file);
    }
  }
  return found;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The downloads (DOWNLOAD_SCOPES) whose marker the Slack adapter's source mentions. */
function downloads(): string[] {
  const code = readdirSync(SLACK_SRC)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(path.join(SLACK_SRC, f), 'utf8'))
    .join('\n');
  return Object.keys(DOWNLOAD_SCOPES).filter((d) => code.includes(DOWNLOAD_SCOPES[d]!.marker));
}

describe('the Slack manifest and what the code calls', () => {
  it('has a row in the scope table for every Web API method the code calls, and no stale row', () => {
    const called = calledMethods();
    // The scan finds what it must: a regex that stopped matching would pass everything.
    expect(called.get('chat.startStream')).toEqual(['surface.ts']);
    expect(called.get('users.info')).toEqual(['people.ts']);
    expect(sorted(called.keys())).toEqual(sorted(Object.keys(METHOD_SCOPES)));
  });

  it('subscribes to the events the gateway handles, each with its scope', () => {
    expect(sorted(manifest.settings.event_subscriptions.bot_events)).toEqual(
      sorted(Object.keys(EVENT_SCOPES)),
    );
  });

  it('asks for exactly the scopes the calls, events and commands need', () => {
    const needed = [
      ...Object.values(METHOD_SCOPES).flat(),
      ...manifest.settings.event_subscriptions.bot_events
        .map((e) => EVENT_SCOPES[e]!.scope)
        .filter((scope) => scope !== ''),
      ...(manifest.features.slash_commands?.length ? [COMMANDS_SCOPE] : []),
      ...downloads().map((d) => DOWNLOAD_SCOPES[d]!.scope),
    ];
    // The scan finds the file downloads: a marker that went stale would drop their scope.
    expect(downloads()).toEqual(['url_private']);
    expect(sorted(manifest.oauth_config.scopes.bot)).toEqual(sorted(needed));
    // Listed once each, in order, so a diff of the manifest reads well.
    expect(manifest.oauth_config.scopes.bot).toEqual(sorted(manifest.oauth_config.scopes.bot));
  });
});
