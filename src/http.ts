import { createServer, type RequestListener, type Server } from 'node:http';
import { BotError } from './errors.js';

export type HealthCheck = () => Promise<void>;

/**
 * While the service starts: the stores it waits for, each with why it cannot
 * reach it; undefined once it is up.
 */
export type StartingState = () => ReadonlyMap<string, string> | undefined;

/**
 * `GET /healthz`: 200 when every dependency answers, 503 naming the ones that
 * do not (`status: "up"`), or 503 while the service starts (`status:
 * "starting"`, `waiting` naming the stores it waits for); and the routes
 * platforms serve (Slack's events), by path. A route whose path ends in `/*`
 * serves that path and everything under it. `checks` and `routes` are read at
 * each request: what start-up adds later is served from then on.
 */
export async function startHttpServer(
  port: number,
  checks: Record<string, HealthCheck>,
  info: Record<string, string>,
  routes: Readonly<Record<string, RequestListener>> = {},
  starting?: StartingState,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes[path] ?? underPrefix(routes, path);
    if (route) {
      void route(req, res);
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      const waits = starting?.();
      if (waits) {
        const waiting = [...waits.keys()];
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ok: false,
            ...info,
            status: 'starting',
            waiting,
            checks: Object.fromEntries(waits),
          }),
        );
        return;
      }
      void runChecks(checks).then((results) => {
        const ok = Object.values(results).every((r) => r === 'ok');
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok, ...info, status: 'up', checks: results }));
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new BotError(
              'port_in_use',
              `PORT ${port} is already in use: another chutes-bot may be running there (stop it first), or set PORT to a free port`,
              { cause: error },
            )
          : error,
      ),
    );
    server.listen(port, () => resolve());
  });
  return server;
}

function underPrefix(
  routes: Readonly<Record<string, RequestListener>>,
  path: string,
): RequestListener | undefined {
  for (const [key, route] of Object.entries(routes)) {
    if (!key.endsWith('/*')) continue;
    const base = key.slice(0, -2);
    if (path === base || path.startsWith(`${base}/`)) return route;
  }
  return undefined;
}

async function runChecks(checks: Record<string, HealthCheck>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 2_000);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : 'failed'] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
