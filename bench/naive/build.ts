/**
 * Compiles the naive bots to plain JavaScript (type-stripping only) so they run as
 * ordinary `node` processes, without tsx's loader in their memory. The output goes to
 * node_modules/.cache, from where their imports resolve to the project's node_modules.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../proc.js';

const SOURCE = join(ROOT, 'bench', 'naive');
export const NAIVE_OUT = join(ROOT, 'node_modules', '.cache', 'chutes-bot-bench', 'naive');

/** Writes the bots' JavaScript; returns the path of each entry by name. */
export function buildNaiveBots(): { discord: string; slack: string } {
  mkdirSync(NAIVE_OUT, { recursive: true });
  writeFileSync(join(NAIVE_OUT, 'package.json'), '{ "type": "module" }\n');
  for (const file of readdirSync(SOURCE)) {
    if (!file.endsWith('.ts') || file === 'build.ts') continue;
    const out = ts.transpileModule(readFileSync(join(SOURCE, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: file,
    });
    writeFileSync(join(NAIVE_OUT, file.replace(/\.ts$/, '.js')), out.outputText);
  }
  return { discord: join(NAIVE_OUT, 'discord-bot.js'), slack: join(NAIVE_OUT, 'slack-bot.js') };
}
