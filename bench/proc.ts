/**
 * Child processes the benchmark starts (the built service, the naive bots), with
 * their pids so their memory can be sampled from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** How many output lines of a child are kept for diagnosis. */
const KEEP_LINES = 200;

export interface ChildOptions {
  /** A short name for progress lines and the RSS column (`all`, `gateway`, `worker 1`, `naive`). */
  readonly label: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

export class Child {
  readonly label: string;
  /** The last lines it wrote (stdout and stderr). */
  readonly tail: string[] = [];
  /** Log lines at level error (pino level ≥ 50) or written to stderr. */
  errorLines = 0;
  /** Peak VmRSS seen by the sampler, in bytes. */
  rssPeak = 0;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private readonly waiters: { match: RegExp; resolve: (line: string) => void }[] = [];

  constructor(options: ChildOptions) {
    this.label = options.label;
    this.child = spawn(process.execPath, [...options.args], {
      // Not the repository: a developer's own `.env` there must not reach the benchmark.
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.read(this.child.stdout!, false);
    this.read(this.child.stderr!, true);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private read(stream: NodeJS.ReadableStream, isStderr: boolean): void {
    let buffered = '';
    stream.on('data', (data: Buffer) => {
      buffered += data.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.trim()) continue;
        this.tail.push(line);
        if (this.tail.length > KEEP_LINES) this.tail.shift();
        if (isStderr || /"level":(5|6)\d/.test(line)) this.errorLines += 1;
        for (const w of [...this.waiters]) {
          if (w.match.test(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
  }

  /** Resolves with the first later output line matching `match`. */
  waitForLine(match: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.label} wrote no line matching ${match} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} exited (${code}):\n${this.tail.slice(-30).join('\n')}`));
      });
    });
  }

  /** Reads VmRSS (and the kernel's high-water mark VmHWM) from /proc; keeps the peak. */
  sampleRss(): void {
    if (!this.running || !this.pid) return;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      for (const field of ['VmRSS', 'VmHWM']) {
        const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
        if (kb) this.rssPeak = Math.max(this.rssPeak, Number(kb) * 1024);
      }
    } catch {
      // exited between the check and the read
    }
  }

  /** Sends `signal` at once (the multi-tenant workload's SIGKILL of a gateway). */
  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.sampleRss();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Samples every child's RSS every `intervalMs` until stopped. */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly children: () => readonly Child[],
    intervalMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    for (const c of this.children()) c.sampleRss();
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

/** A port nobody listens on right now (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `GET http://127.0.0.1:<port>/healthz` until it answers 200 or the child exits. */
export async function waitHealthy(child: Child, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running) {
      throw new Error(`${child.label} exited during start:\n${child.tail.slice(-30).join('\n')}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(
    `${child.label} was not healthy after ${timeoutMs} ms:\n${child.tail.slice(-30).join('\n')}`,
  );
}
