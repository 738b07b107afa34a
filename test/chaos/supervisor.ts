/**
 * The process manager of a chaos run: one gateway and two workers, each in a
 * slot that is kept filled. The run kills or stops a slot's process on
 * purpose and restarts it at once; a process that exits on its own (or dies
 * while starting) is restarted after a couple of seconds, as a supervisor
 * would, and counted, so the run goes on and the report says what happened.
 */
import type { ServiceProcess } from '../e2e/service-process.js';
import type { Stack } from '../e2e/stack.js';
import { sleep } from './plan.js';

export type SlotName = 'gateway' | 'worker1' | 'worker2';
export const SLOTS: readonly SlotName[] = ['gateway', 'worker1', 'worker2'];

/** A process that ended, or failed to start, without being told to. */
export interface Unplanned {
  readonly slot: SlotName;
  readonly at: number;
  readonly what: 'exited' | 'failed to start';
  /** The exit code or signal, or the start error's first line. */
  readonly how: string;
  /** Its last log messages. */
  readonly lastLines: readonly string[];
}

/** The one SIGTERM: how the worker ended. */
export interface Termination {
  readonly slot: SlotName;
  readonly at: number;
  readonly exitCode: number | null;
  readonly tookMs: number;
  /** Log messages about handing running answers back. */
  readonly handBack: readonly string[];
}

interface Slot {
  readonly name: SlotName;
  current?: ServiceProcess;
  /** Killed or stopped on purpose: its exit is not unplanned. */
  planned: boolean;
  starting: boolean;
}

const RESTART_DELAY_MS = 2_000;

/** The outbox's count of kept jobs on a log line, if it has one. */
const kept = (line: { readonly [key: string]: unknown }) =>
  typeof line.kept === 'number' ? ` (${line.kept} kept)` : '';

/** The last few log messages in a process's output, newest last. */
export function lastLines(output: readonly string[], count = 6): string[] {
  return output
    .filter((line) => line.trim())
    .slice(-count)
    .map((line) => {
      try {
        const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        return [parsed.msg, parsed.err?.message].filter(Boolean).join(': ');
      } catch {
        return line.slice(0, 300);
      }
    });
}

export class Supervisor {
  readonly unplanned: Unplanned[] = [];
  readonly kills: { slot: SlotName; at: number }[] = [];
  termination: Termination | undefined;
  /** Every process ever started, with its slot, for the log tallies and traces. */
  readonly started: { readonly slot: SlotName; readonly service: ServiceProcess }[] = [];
  private readonly slots = new Map<SlotName, Slot>();
  private closed = false;

  constructor(
    private readonly stack: Stack,
    private readonly say: (line: string) => void,
    /** Times in its notes count from here (the load's start, once it starts). */
    public since: number,
  ) {
    for (const name of SLOTS) this.slots.set(name, { name, planned: false, starting: false });
  }

  /** Takes the process the stack started (the gateway) and starts the workers. */
  async begin(): Promise<void> {
    this.adopt('gateway', this.stack.service);
    await this.fill('worker1');
    await this.fill('worker2');
  }

  /** Slots whose process is up (not starting, not being stopped). */
  upSlots(): SlotName[] {
    return SLOTS.filter((name) => {
      const slot = this.slots.get(name)!;
      return slot.current?.running && !slot.starting && !slot.planned;
    });
  }

  allUp(): boolean {
    return this.upSlots().length === SLOTS.length;
  }

  /** Model streams open in a slot's process now (its /metrics), 0 when it cannot tell. */
  async activeStreams(name: SlotName): Promise<number> {
    const service = this.slots.get(name)!.current;
    if (!service?.running) return 0;
    try {
      const res = await fetch(`http://127.0.0.1:${service.port}/metrics`, {
        signal: AbortSignal.timeout(1_000),
      });
      const found = /^chutes_bot_active_streams (\d+)/m.exec(await res.text());
      return Number(found?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** SIGKILL, then a restart at once. */
  async kill(name: SlotName): Promise<void> {
    const slot = this.slots.get(name)!;
    const service = slot.current;
    if (!service?.running) return;
    slot.planned = true;
    this.kills.push({ slot: name, at: Date.now() });
    this.note(`SIGKILL ${name} (pid ${service.pid})`);
    await service.kill();
    slot.planned = false;
    await this.fill(name);
  }

  /** SIGTERM, wait for the exit (the shutdown grace), then a restart. */
  async terminate(name: SlotName): Promise<void> {
    const slot = this.slots.get(name)!;
    const service = slot.current;
    if (!service?.running) return;
    slot.planned = true;
    const at = Date.now();
    this.note(`SIGTERM ${name} (pid ${service.pid})`);
    const exitCode = await service.stop();
    const handBack = service.logs
      .filter((l) => /handing them back|handed back/.test(l.msg))
      .map((l) => l.msg);
    this.termination = { slot: name, at, exitCode, tookMs: Date.now() - at, handBack };
    this.note(`${name} exited ${exitCode} after ${((Date.now() - at) / 1000).toFixed(1)} s`);
    slot.planned = false;
    await this.fill(name);
  }

  /** Waits (bounded) until every slot has a process up. */
  async waitAllUp(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.allUp() && Date.now() < until) await sleep(200);
    return this.allUp();
  }

  /** No more restarts; the stack stops the processes. */
  close(): void {
    this.closed = true;
  }

  /**
   * Log lines about one question, for the evidence of one that went wrong:
   * those naming its id; else the outbox lines of the gateway that was up
   * when it was asked (jobs kept there are named nowhere), and how that
   * gateway ended.
   */
  trace(key: string, at: number): string[] {
    const stamp = (t: unknown) =>
      typeof t === 'number' ? `+${((t - this.since) / 1000).toFixed(1)} s` : '';
    const named = this.started.flatMap(({ slot, service }) =>
      service.logs
        .filter((l) => JSON.stringify(l).includes(key))
        .map((l) => `${slot} ${service.pid} ${stamp(l.time)}: ${l.msg}`),
    );
    if (named.length) return named.slice(0, 8);
    const gateway = this.started.find(
      ({ slot, service }) =>
        slot === 'gateway' &&
        (service.logs[0]?.time as number) <= at &&
        (service.running || service.exitedAt! >= at),
    );
    if (!gateway) return ['no gateway was up'];
    const { service } = gateway;
    const outbox = service.logs
      .filter((l) => /kept|unreachable|queue is back|never took/.test(l.msg))
      .filter((l) => (l.time as number) >= at - 1_000)
      .map((l) => `gateway ${service.pid} ${stamp(l.time)}: ${l.msg}${kept(l)}`);
    const end = service.running
      ? 'still up'
      : `ended ${service.signal ?? 'by itself'} at ${stamp(service.exitedAt)}`;
    return [...outbox.slice(0, 4), `gateway ${service.pid} ${end}`];
  }

  private adopt(name: SlotName, service: ServiceProcess): void {
    const slot = this.slots.get(name)!;
    slot.current = service;
    this.started.push({ slot: name, service });
    void service.whenExited().then(async (code) => {
      if (this.closed || slot.planned || slot.current !== service) return;
      this.unplanned.push({
        slot: name,
        at: Date.now(),
        what: 'exited',
        how: service.signal ?? `code ${code}`,
        lastLines: lastLines(service.output),
      });
      this.note(`${name} exited on its own (${service.signal ?? `code ${code}`}); restarting`);
      await sleep(RESTART_DELAY_MS);
      await this.fill(name);
    });
  }

  /** Starts a process in the slot, retrying every couple of seconds until one comes up. */
  private async fill(name: SlotName): Promise<void> {
    const slot = this.slots.get(name)!;
    slot.starting = true;
    try {
      while (!this.closed) {
        try {
          const role = name === 'gateway' ? 'gateway' : 'worker';
          const service = await this.stack.startService({ ROLE: role });
          if (this.closed) return void (await service.stop());
          this.adopt(name, service);
          this.note(`${name} up (pid ${service.pid})`);
          return;
        } catch (err) {
          const text = err instanceof Error ? err.message : String(err);
          const lines = text.split('\n');
          this.unplanned.push({
            slot: name,
            at: Date.now(),
            what: 'failed to start',
            how: lines[0] ?? '',
            lastLines: lastLines(lines.slice(1)),
          });
          this.note(`${name} failed to start; again in ${RESTART_DELAY_MS / 1000} s`);
          await sleep(RESTART_DELAY_MS);
        }
      }
    } finally {
      slot.starting = false;
    }
  }

  private note(text: string): void {
    this.say(`  ${((Date.now() - this.since) / 1000).toFixed(1).padStart(6)} s  ${text}`);
  }
}
