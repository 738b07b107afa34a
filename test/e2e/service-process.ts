/**
 * Runs the built service (`node dist/main.js`, what `npm start` runs) as a
 * child process with a given environment, and reads its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = `${ROOT}dist/main.js`;

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface SpawnOptions {
  /**
   * In a process group of its own, as a shell runs a foreground job: a test
   * can then signal the whole group (`signalGroup`), as a terminal's Ctrl-C does.
   */
  readonly detached?: boolean;
  /** Another copy of the built service to run instead of this clone's dist/main.js. */
  readonly main?: string;
}

export class ServiceProcess {
  readonly logs: LogLine[] = [];
  readonly output: string[] = [];
  port = 0;
  /** When it exited (Date.now()), once it has. */
  exitedAt: number | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  private constructor(env: Record<string, string>, options: SpawnOptions = {}) {
    if (!existsSync(MAIN))
      throw new Error('dist/main.js is missing: run `npm run build` (npm test does)');
    this.child = spawn(process.execPath, [options.main ?? MAIN], {
      // Not the repository: a developer's own `.env` there must not reach the tests.
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    // The last lines it wrote may still be in the pipe at 'exit': they are
    // read first (for a moment at most: a process it started may hold the pipe).
    const drained = new Promise<void>((resolve) => this.child.stdout!.once('end', resolve));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitedAt = Date.now();
        void Promise.race([drained, sleep(1_000)]).then(() => resolve(code));
      }),
    );
    let buffered = '';
    this.child.stdout!.on('data', (data: Buffer) => {
      buffered += data.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        this.output.push(line);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    this.child.stderr!.on('data', (data: Buffer) => this.output.push(data.toString('utf8')));
  }

  /** Starts the service and waits until it reports that it is up. */
  static async start(
    env: Record<string, string>,
    timeoutMs = 60_000,
    options: SpawnOptions = {},
  ): Promise<ServiceProcess> {
    const service = new ServiceProcess(env, options);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = service.logs.find((l) => l.msg === 'chutes-bot is up');
      if (up) {
        service.port = up.port as number;
        return service;
      }
      if (service.child.exitCode !== null || Date.now() > deadline) {
        await service.kill();
        throw new Error(`the service did not start:\n${service.output.join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Starts the service without waiting for it to be up (it may wait for its
   * stores); resolves once it serves /healthz, with `port` set.
   */
  static async spawn(
    env: Record<string, string>,
    timeoutMs = 60_000,
    options: SpawnOptions = {},
  ): Promise<ServiceProcess> {
    const service = new ServiceProcess(env, options);
    try {
      const starting = await service.waitForLog((l) => l.msg === 'starting', timeoutMs);
      service.port = starting.port as number;
    } catch (error) {
      await service.kill();
      throw error;
    }
    return service;
  }

  /** The first log line that matches, once there is one. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        const why = this.child.exitCode !== null ? 'the process exited' : 'timed out';
        throw new Error(`no such log line (${why}):\n${this.output.join('\n')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the exit code (null after a signal) once the process has exited, however it ended. */
  whenExited(): Promise<number | null> {
    return this.exited;
  }

  /** The signal that ended the process, if one did. */
  get signal(): NodeJS.Signals | null {
    return this.child.signalCode;
  }

  /** A graceful stop (SIGTERM), as a process manager does it; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /**
   * Sends `signal` to the process's whole group, as a terminal sends Ctrl-C's
   * SIGINT to its foreground job and every child in it (needs `detached`).
   */
  signalGroup(signal: NodeJS.Signals): void {
    process.kill(-this.pid, signal);
  }

  /** A crash: SIGKILL, no cleanup. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  errors(): LogLine[] {
    return this.logs.filter((l) => l.level >= 50);
  }
}

/**
 * Runs the service until it exits, or `timeoutMs` passes (then kills it), in
 * a working directory of its own; its stdout and stderr together.
 */
export function runUntilExit(
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: mkdtempSync(join(tmpdir(), 'chutes-bot-start-')),
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
