/**
 * The deployment files (Dockerfile, docker-compose*.yml, .dockerignore) stay in
 * step with the code: the variables config.ts reads, its defaults, the start
 * command of package.json and the route of the health check.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_NAMES, loadConfig } from '../../src/config.js';
import { CLOSE_MS, HAND_BACK_MS } from '../../src/service.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** What any bot process needs besides the compose files' values: a key and a platform. */
const secrets = {
  CHUTES_API_KEY: 'cpk_test',
  DISCORD_TOKEN: 'token',
  DISCORD_APPLICATION_ID: '1',
};
const defaults = loadConfig(secrets);
/**
 * The longest a stop takes: main.ts exits at the latest this long after
 * SIGTERM (the grace, the hand-back of what still runs, closing the stores).
 */
const WORST_STOP_MS = defaults.worker.shutdownGraceMs + HAND_BACK_MS + CLOSE_MS;
/** What the container runtime must wait beyond that before it kills the process. */
const STOP_MARGIN_MS = 5_000;
const ROLES = ['all', 'gateway', 'worker'] as const;

// ---- compose ----------------------------------------------------------------

type YamlMap = Record<string, unknown>;

interface Service {
  readonly name: string;
  readonly raw: YamlMap;
  readonly image?: string;
  readonly environment: Record<string, string>;
  /** Has a `build`: this repository's image, i.e. the bot. */
  readonly isBot: boolean;
}

function isRecord(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `environment:` as a map or as a `NAME=value` list. */
function environmentOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((entry) => {
        const [name, ...rest] = String(entry).split('=');
        return [name!, rest.join('=')];
      }),
    );
  }
  if (!isRecord(value)) throw new Error(`environment must be a map or a list`);
  return Object.fromEntries(
    Object.entries(value).map(([name, v]) => [name, v === null ? '' : String(v)]),
  );
}

function loadCompose(file: string): Map<string, Service> {
  // Merge keys (`<<: *bot`) as Compose resolves them.
  const doc: unknown = parse(read(file), { merge: true });
  if (!isRecord(doc) || !isRecord(doc.services)) throw new Error(`${file}: no services`);
  const services = new Map<string, Service>();
  for (const [name, raw] of Object.entries(doc.services)) {
    if (!isRecord(raw)) throw new Error(`${file}: service ${name} is not a map`);
    services.set(name, {
      name,
      raw,
      image: typeof raw.image === 'string' ? raw.image : undefined,
      environment: environmentOf(raw.environment),
      isBot: raw.build !== undefined,
    });
  }
  return services;
}

/** Variables an image of a dependency reads, by image name. */
const IMAGE_VARIABLES: Record<string, RegExp> = {
  postgres: /^(POSTGRES_[A-Z_]+|PGDATA)$/,
  redis: /^$/,
};

function imageName(image: string): string {
  return image.split(':')[0]!.split('/').pop()!;
}

/** `'3000:3000'`, `'127.0.0.1:3000:3000/tcp'`, `3000` or the long form: the container's port. */
function containerPort(mapping: unknown): number {
  if (isRecord(mapping)) return Number(mapping.target);
  const parts = String(mapping).split('/')[0]!.split(':');
  return Number(parts[parts.length - 1]);
}

/** Compose durations: `30s`, `1m30s`, `500ms`. */
function durationMs(value: unknown): number {
  const text = String(value);
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  let total = 0;
  let matched = '';
  for (const [part, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|m|s)/g)) {
    total += Number(amount) * units[unit!]!;
    matched += part;
  }
  if (matched !== text) throw new Error(`not a duration: ${text}`);
  return total;
}

function healthcheckText(service: Service): string {
  const healthcheck = service.raw.healthcheck;
  if (!isRecord(healthcheck)) return '';
  const test = healthcheck.test;
  return Array.isArray(test) ? test.join(' ') : String(test ?? '');
}

/** `.env.example`, the file compose's `env_file: .env` is copied from: `NAME=value` lines. */
function dotenvExample(): Record<string, string> {
  return Object.fromEntries(
    read('.env.example')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((match) => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );
}

/** The health route, as src/http.ts serves it (checked below). */
const healthPath = '/healthz';

const COMPOSE_FILES = {
  'docker-compose.yml': { redis: true },
  'docker-compose.postgres.yml': { redis: false },
} as const;

for (const [file, topology] of Object.entries(COMPOSE_FILES)) {
  describe(file, () => {
    const services = loadCompose(file);
    const bots = [...services.values()].filter((s) => s.isBot);

    it('has bot services and only images it knows', () => {
      expect(bots.length).toBeGreaterThan(0);
      for (const service of services.values()) {
        if (service.isBot) continue;
        expect(service.image, `${service.name}: image`).toBeDefined();
        expect(Object.keys(IMAGE_VARIABLES), service.name).toContain(imageName(service.image!));
      }
    });

    it('sets only variables that config.ts reads, or that the images of postgres/redis read', () => {
      for (const service of services.values()) {
        const allowed = service.isBot ? undefined : IMAGE_VARIABLES[imageName(service.image!)]!;
        for (const name of Object.keys(service.environment)) {
          if (allowed) expect(name, `${service.name}: ${name}`).toMatch(allowed);
          else expect(ENV_NAMES, `${service.name}: ${name}`).toContain(name);
        }
      }
    });

    it("gives each bot a valid ROLE and a configuration that wins over .env's", () => {
      // env_file: .env (copied from .env.example, with its 127.0.0.1 URLs) under
      // `environment`, which Compose applies on top.
      for (const bot of bots) {
        const role = bot.environment.ROLE;
        expect(ROLES, `${bot.name}: ROLE`).toContain(role);
        const config = loadConfig({ ...dotenvExample(), ...secrets, ...bot.environment });
        expect(config.role).toBe(role);
        // Set by the compose file itself, never left to .env.
        expect(config.databaseUrl, `${bot.name}: DATABASE_URL`).toBe(bot.environment.DATABASE_URL);
        if (topology.redis) {
          expect(config.redisUrl, `${bot.name}: REDIS_URL`).toBe(bot.environment.REDIS_URL);
        } else {
          expect(bot.environment, `${bot.name}: REDIS_URL`).toHaveProperty('REDIS_URL');
          expect(config.redisUrl, `${bot.name}: REDIS_URL`).toBeUndefined();
        }
      }
    });

    it('points DATABASE_URL and REDIS_URL at its own services, and waits for them healthy', () => {
      for (const bot of bots) {
        const targets = [['DATABASE_URL', 'postgres']] as [string, string][];
        if (topology.redis) targets.push(['REDIS_URL', 'redis']);
        for (const [variable, image] of targets) {
          const host = new URL(bot.environment[variable]!).hostname;
          const dependency = services.get(host);
          expect(dependency, `${bot.name}: ${variable} names service ${host}`).toBeDefined();
          expect(imageName(dependency!.image ?? '')).toBe(image);
          expect(healthcheckText(dependency!), `${host}: healthcheck`).not.toBe('');
          const dependsOn = bot.raw.depends_on;
          expect(isRecord(dependsOn) && dependsOn[host], `${bot.name}: depends_on ${host}`).toEqual(
            { condition: 'service_healthy' },
          );
        }
      }
    });

    it('checks each bot on the health route, restarts it and lets it shut down', () => {
      for (const bot of bots) {
        expect(healthcheckText(bot), `${bot.name}: healthcheck`).toContain(`'${healthPath}'`);
        expect(bot.raw.restart).toBe('unless-stopped');
        expect(
          durationMs(bot.raw.stop_grace_period),
          `${bot.name}: stop_grace_period`,
        ).toBeGreaterThanOrEqual(WORST_STOP_MS + STOP_MARGIN_MS);
      }
    });

    it('publishes only the port each bot listens on', () => {
      for (const bot of bots) {
        const port = Number(bot.environment.PORT ?? defaults.port);
        const ports = (bot.raw.ports ?? []) as unknown[];
        for (const mapping of ports) expect(containerPort(mapping), bot.name).toBe(port);
      }
    });

    if (topology.redis) {
      it('runs one gateway and scalable workers', () => {
        const roles = bots.map((b) => b.environment.ROLE).sort();
        expect(roles).toEqual(['gateway', 'worker']);
        const worker = bots.find((b) => b.environment.ROLE === 'worker')!;
        // `--scale worker=N`: N containers cannot share a host port or a name.
        expect(worker.raw.ports).toBeUndefined();
        expect(worker.raw.container_name).toBeUndefined();
        const gateway = bots.find((b) => b.environment.ROLE === 'gateway')!;
        expect(gateway.raw.ports).toBeDefined();
      });

      it('runs Redis with noeviction, as BullMQ requires, and persistence', () => {
        const redis = [...services.values()].filter((s) => imageName(s.image ?? '') === 'redis');
        expect(redis).toHaveLength(1);
        const command = redis[0]!.raw.command;
        const args = Array.isArray(command) ? command.map(String) : String(command).split(/\s+/);
        expect(args.join(' ')).toContain('--maxmemory-policy noeviction');
        expect(args.join(' ')).toContain('--appendonly yes');
      });
    } else {
      it('runs one ROLE=all process and no Redis', () => {
        expect(bots.map((b) => b.environment.ROLE)).toEqual(['all']);
        const images = [...services.values()].map((s) => imageName(s.image ?? ''));
        expect(images).not.toContain('redis');
      });

      it('runs the same Postgres as docker-compose.yml (they share its volume)', () => {
        expect(services.get('postgres')?.raw).toEqual(
          loadCompose('docker-compose.yml').get('postgres')?.raw,
        );
      });
    }
  });
}

describe('.env.example', () => {
  it('names only variables that config.ts reads', () => {
    const named = [...read('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(ENV_NAMES, name).toContain(name);
  });
});

// ---- Dockerfile ---------------------------------------------------------------

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions by stage: comments dropped, continuation lines joined. */
function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    pending += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line)) continue;
    const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(pending);
    pending = '';
    if (!match) continue;
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim() };
    if (instruction.keyword === 'FROM') stages.push([]);
    stages[stages.length - 1]?.push(instruction);
  }
  return stages;
}

const dockerfile = read('Dockerfile');
const stages = dockerfileStages(dockerfile);
const runtime = stages[stages.length - 1]!;
const all = (keyword: string, stage = runtime) => stage.filter((i) => i.keyword === keyword);
const last = (keyword: string, stage = runtime) => all(keyword, stage).pop();

/** The exec form, `["node", ...]`, which Docker runs without a shell. */
function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed)) throw new Error(`not the exec form: ${args}`);
  return parsed.map(String);
}

/** `ENV A=1 B=2` (and the legacy `ENV A 1`). */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all('ENV', stage)) {
    if (!args.includes('=')) {
      const [name, ...value] = args.split(/\s+/);
      env[name!] = value.join(' ');
      continue;
    }
    for (const [, name, value] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[name!] = value!.replace(/^"(.*)"$/, '$1');
    }
  }
  return env;
}

describe('Dockerfile', () => {
  const packageJson = JSON.parse(read('package.json')) as {
    scripts: Record<string, string>;
    engines?: { node?: string };
  };

  it('runs what `npm start` runs, with the same node flags', () => {
    const start = packageJson.scripts.start!.split('&&').map((part) => part.trim());
    // The last step: the first only builds dist/ when its sources changed.
    const node = start.find((part) => part.startsWith('node ') && part.endsWith(' dist/main.js'));
    expect(node, 'package.json start runs node dist/main.js').toBeDefined();
    const cmd = execForm(last('CMD')!.args);
    expect(cmd).toEqual(node!.split(/\s+/));
    expect(last('ENTRYPOINT')).toBeUndefined();
  });

  it(`checks health on the route src/http.ts serves`, () => {
    const healthcheck = last('HEALTHCHECK')!.args;
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim());
    const script = command.join(' ');
    const path = /(\/[A-Za-z0-9_-]+)['"`]/.exec(script)?.[1];
    expect(path).toBe(healthPath);
    expect(read('src/http.ts')).toMatch(new RegExp(`'GET' && path === '${healthPath}'`));
    // Without PORT it falls back to config's default.
    expect(script).toContain(`process.env.PORT||${defaults.port}`);
  });

  it("exposes config's default PORT", () => {
    const exposed = all('EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(exposed.map((p) => Number(p.split('/')[0]))).toEqual([defaults.port]);
  });

  it('keeps DATA_DIR on a volume that the non-root user owns', () => {
    const dataDir = envOf(runtime).DATA_DIR;
    expect(dataDir, 'ENV DATA_DIR').toBeDefined();
    // The default, ./data, would be /app/data: inside the root-owned app, on no volume.
    expect(dataDir).not.toBe(defaults.dataDir);
    const volumes = all('VOLUME').flatMap((i) =>
      i.args.startsWith('[') ? execForm(i.args) : i.args.split(/\s+/),
    );
    expect(volumes).toContain(dataDir);
    // A RUN after VOLUME cannot change it: the directory is owned before.
    const volumeAt = runtime.findIndex((i) => i.keyword === 'VOLUME');
    const chown = runtime.findIndex(
      (i) => i.keyword === 'RUN' && i.args.includes('chown') && i.args.includes(dataDir!),
    );
    expect(chown, `RUN chown ... ${dataDir}`).toBeGreaterThanOrEqual(0);
    expect(chown).toBeLessThan(volumeAt);
    const user = last('USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime[chown]!.args).toContain(user!.split(':')[0]);
  });

  it('ships dist, production node_modules, package.json and the migrations', () => {
    const workdir = last('WORKDIR')!.args;
    const copies = all('COPY').map((i) => {
      const paths = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const dest = posix.resolve(workdir, paths.pop()!);
      const from = /--from=(\S+)/.exec(i.args)?.[1];
      // `COPY a b/` and `COPY a b c/` put each source inside the directory.
      const intoDir = paths.length > 1 || /\/$|^\.$/.test(i.args.split(/\s+/).pop()!);
      return paths.map((source) => ({
        from,
        dest: intoDir ? posix.join(dest, posix.basename(source)) : dest,
      }));
    });
    const destinations = copies.flat().map((c) => c.dest);
    for (const path of ['dist', 'node_modules', 'package.json', 'drizzle']) {
      expect(destinations, path).toContain(posix.join(workdir, path));
    }
    // src/db/client.ts finds the migrations at ../../drizzle from dist/db.
    expect(read('src/db/client.ts')).toContain(`new URL('../../drizzle', import.meta.url)`);
    // node_modules comes from a stage that dropped the dev dependencies.
    const from = copies.flat().find((c) => c.dest === posix.join(workdir, 'node_modules'))!.from;
    const build = stages.find((s) => new RegExp(`\\bAS\\s+${from}$`, 'i').test(s[0]!.args));
    expect(build, `stage ${from}`).toBeDefined();
    expect(
      all('RUN', build)
        .map((i) => i.args)
        .join('\n'),
    ).toMatch(/npm prune --omit=dev/);
  });

  it('uses a Node version that package.json engines accept', () => {
    const minimum = /(\d+)/.exec(packageJson.engines?.node ?? '0')![1]!;
    for (const stage of stages) {
      const major = /^node:(\d+)/.exec(stage[0]!.args)?.[1];
      expect(major, stage[0]!.args).toBeDefined();
      expect(Number(major)).toBeGreaterThanOrEqual(Number(minimum));
    }
  });

  it('builds from a context that has what it copies and no secrets', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    // Everything excluded, then re-included by name: easy to check, hard to leak.
    expect(ignore[0]).toBe('*');
    const included = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const sources = stages
      .flatMap((stage) => all('COPY', stage))
      .filter((i) => !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((p) => !p.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(included, source).toContain(source.replace(/\/$/, ''));
    expect(included.filter((p) => p.startsWith('.env') || p === 'data')).toEqual([]);
  });
});

// ---- the one-container `docker run` line (docs/docker.md and Dockerfile) -------

/** Every `docker run` command of docs/docker.md (inline code) and of the Dockerfile's comments. */
function dockerRunLines(): { where: string; args: string[] }[] {
  const docs = [...read('docs/docker.md').matchAll(/`(docker run [^`]+)`/g)].map((m) => ({
    where: 'docs/docker.md',
    text: m[1]!,
  }));
  const comments = dockerfile
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^#\s?/, ''))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const inDockerfile = [...comments.matchAll(/^\s*(docker run .*)$/gm)].map((m) => ({
    where: 'Dockerfile',
    text: m[1]!,
  }));
  return [...docs, ...inDockerfile].map(({ where, text }) => ({
    where,
    args: text.trim().split(/\s+/),
  }));
}

/** The values of a flag (`--flag value` or `--flag=value`). */
function flagValues(args: string[], ...names: string[]): string[] {
  const values: string[] = [];
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name) values.push(args[i + 1] ?? '');
      else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
    }
  });
  return values;
}

describe('the one-container docker run line', () => {
  const lines = dockerRunLines();
  const imageEnv = envOf(runtime);

  it('is in docs/docker.md and the Dockerfile', () => {
    expect(lines.map((l) => l.where).sort()).toEqual(['Dockerfile', 'docs/docker.md']);
  });

  it("keeps DATA_DIR on the image's volume, whatever .env (from .env.example) holds", () => {
    // The image's DATA_DIR, then --env-file, then -e: the last one set wins.
    for (const { where, args } of lines) {
      const env: Record<string, string> = { ...imageEnv };
      if (flagValues(args, '--env-file').includes('.env')) Object.assign(env, dotenvExample());
      for (const pair of flagValues(args, '-e', '--env')) {
        const [name, ...value] = pair.split('=');
        env[name!] = value.join('=');
      }
      const config = loadConfig({ ...env, ...secrets });
      expect(config.dataDir, `${where}: DATA_DIR`).toBe(imageEnv.DATA_DIR);
      // The embedded Postgres: no DATABASE_URL or REDIS_URL from .env.
      expect(config.databaseUrl, `${where}: DATABASE_URL`).toBeUndefined();
      expect(config.redisUrl, `${where}: REDIS_URL`).toBeUndefined();
      const targets = flagValues(args, '-v', '--volume').map((v) => v.split(':')[1]);
      expect(targets, `${where}: a volume on DATA_DIR`).toContain(imageEnv.DATA_DIR);
    }
  });

  it('waits longer than the longest stop before it kills the container', () => {
    for (const { where, args } of lines) {
      // Docker's default (10 s) would kill the answers the grace lets finish.
      const [timeout] = flagValues(args, '--stop-timeout', '-t');
      expect(timeout, `${where}: --stop-timeout`).toBeDefined();
      expect(Number(timeout) * 1000, `${where}: --stop-timeout`).toBeGreaterThanOrEqual(
        WORST_STOP_MS + STOP_MARGIN_MS,
      );
      // An init process forwards SIGTERM to node and reaps postgres' children.
      expect(args, where).toContain('--init');
    }
  });
});

describe('.env.example under the image', () => {
  it("leaves DATA_DIR to the image's ENV (a .env copied from it is passed with --env-file)", () => {
    // ./data would be /app/data: not writable by the image's user, and on no volume.
    expect(dotenvExample().DATA_DIR ?? envOf(runtime).DATA_DIR).toBe(envOf(runtime).DATA_DIR);
  });
});
