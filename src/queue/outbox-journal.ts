/**
 * The outbox's copy on disk: the jobs a gateway accepted while the queue was
 * away survive the gateway itself (a crash, a kill, a restart during the
 * outage). Each process writes a file of its own, one JSON line per kept job,
 * and rewrites it as jobs reach the queue; a gateway that starts takes over
 * the files of processes that are gone and queues their jobs first.
 *
 * The files live in `<dir>/<scope>/`: the scope names the queue (a hash of
 * its address and prefix), so two deployments sharing a directory never take
 * each other's jobs. A job queued twice (written, queued, then the process
 * died before rewriting) is dropped by the producer, whose job ids are the
 * platform events'.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { isAlive } from '../process-alive.js';

export interface JournalLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

const SUFFIX = '.jsonl';
/** Another host's file untouched this long belongs to a gateway that is gone. */
const FOREIGN_STALE_MS = 60_000;

export class OutboxJournal<Entry> {
  private readonly dir: string;
  private readonly file: string;
  private written = false;

  /**
   * @param root the directory for all journals (`DATA_DIR/outbox`)
   * @param queue what identifies the queue (its address and prefix); only hashed
   */
  constructor(
    root: string,
    queue: string,
    private readonly log: JournalLog,
    private readonly pid: number = process.pid,
    private readonly host: string = hostname(),
  ) {
    const scope = createHash('sha256').update(queue).digest('hex').slice(0, 16);
    this.dir = path.join(root, scope);
    this.file = path.join(this.dir, `${encode(this.host)}~${this.pid}${SUFFIX}`);
  }

  /**
   * Takes over the files of processes on this host that are gone (and this
   * process's own name, left by an earlier process with the same pid, as a
   * restarted container has), oldest first, and returns their jobs in order.
   */
  claimOrphans(): Entry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith(SUFFIX));
    } catch {
      return [];
    }
    const entries: Entry[] = [];
    for (const name of names.sort()) {
      if (!this.orphaned(name)) continue;
      const claimed = path.join(this.dir, `${name}.claimed-${this.pid}`);
      try {
        // Atomic: of two gateways starting at once, one takes the file.
        renameSync(path.join(this.dir, name), claimed);
      } catch {
        continue;
      }
      const lines = readFileSync(claimed, 'utf8').split('\n').filter(Boolean);
      for (const line of lines) {
        try {
          entries.push(JSON.parse(line) as Entry);
        } catch {
          // A line cut short by the crash: the job was never acknowledged as kept.
        }
      }
      rmSync(claimed, { force: true });
      this.log.info({ jobs: lines.length, from: name }, 'taking over jobs a stopped gateway kept');
    }
    // What was taken over is kept by this process now, on disk too.
    if (entries.length > 0) this.rewrite(entries);
    return entries;
  }

  /**
   * A file is orphaned when its process is gone: on this host, its pid is not
   * running (or is this process's: a restarted container reuses its pid); a
   * file from another host (a container replaced by another) when it has not
   * been written for a while, since a live gateway rewrites its file at every
   * try of the queue.
   */
  private orphaned(name: string): boolean {
    const owner = parseName(name);
    if (!owner) return false;
    if (owner.host === encode(this.host)) return owner.pid === this.pid || !isAlive(owner.pid);
    try {
      return Date.now() - statSync(path.join(this.dir, name)).mtimeMs > FOREIGN_STALE_MS;
    } catch {
      return false;
    }
  }

  /** Records one more kept job before the gateway acknowledges it. */
  append(entry: Entry): void {
    this.ensureDir();
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    this.written = true;
  }

  /** Leaves exactly `entries` on disk (none: no file). */
  rewrite(entries: readonly Entry[]): void {
    if (entries.length === 0) {
      if (this.written) rmSync(this.file, { force: true });
      this.written = false;
      return;
    }
    this.ensureDir();
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    renameSync(temporary, this.file);
    this.written = true;
  }

  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }
}

/** Host names may hold characters a file name should not: keep it readable and safe. */
function encode(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_');
}

function parseName(name: string): { host: string; pid: number } | undefined {
  const match = /^(.*)~(\d+)\.jsonl$/.exec(name);
  return match ? { host: match[1]!, pid: Number(match[2]) } : undefined;
}
