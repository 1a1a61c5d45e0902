import { closeSync, copyFileSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine, RuntimeName } from '../../shared/api/runtimes';

const KEEP_ROTATED = 3;
const RING_SIZE = 2_000;
const READ_CHUNK = 64 * 1024;

/**
 * A runtime's log: the file its stdout/stderr are written to (by the runtime itself), a ring buffer
 * of recent lines, and a tail reader that turns new bytes into `LogLine`s. Rotation keeps
 * `<name>.log` plus `<name>.1.log … .3.log`; a running runtime's file is rotated by copy+truncate,
 * which works because the runtime writes with O_APPEND.
 */
export class RuntimeLog {
  readonly file: string;
  private readonly ring: LogLine[] = [];
  private offset = 0;
  private partial = '';
  private pid: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly runtime: RuntimeName,
    private readonly dir: string,
    private readonly maxBytes: () => number,
    private readonly onLine: (line: LogLine) => void,
    private readonly pollMs = 100,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${runtime}.log`);
  }

  /** Before a spawn: rotate when large, then follow the file from its current end. */
  prepareForSpawn(commandLine: string): void {
    this.stopFollowing();
    if (existsSync(this.file) && statSync(this.file).size > this.maxBytes() / 2) this.rotateByRename();
    this.offset = existsSync(this.file) ? statSync(this.file).size : 0;
    this.partial = '';
    this.record(`---- switchyard: starting ${commandLine}`);
  }

  /** Follow the file for a (new or adopted) process. `fromOffset` lets an adopted runtime skip old output. */
  follow(pid: number, fromOffset?: number): void {
    this.pid = pid;
    if (fromOffset !== undefined) this.offset = fromOffset;
    this.stopFollowing();
    this.timer = setInterval(() => this.drain(), this.pollMs);
    this.timer.unref();
  }

  /** Read what is left (the last words of an exiting process) and stop polling. */
  finish(note?: string): void {
    this.drain();
    if (this.partial) this.push(this.partial);
    this.partial = '';
    this.stopFollowing();
    if (note) this.record(`---- switchyard: ${note}`);
  }

  tail(n: number): LogLine[] {
    return this.ring.slice(-n);
  }

  /** The last n lines as text, for error reports. */
  tailText(n: number): string[] {
    return this.tail(n).map((l) => l.line);
  }

  currentSize(): number {
    return existsSync(this.file) ? statSync(this.file).size : 0;
  }

  close(): void {
    this.stopFollowing();
  }

  /** A line written by Switchyard itself into the ring (not the file, which belongs to the runtime). */
  record(text: string): void {
    this.push(text);
  }

  private stopFollowing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private drain(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r+');
    } catch {
      return;
    }
    try {
      let size = fstatSync(fd).size;
      if (size < this.offset) this.offset = 0; // truncated by someone else
      if (size > this.maxBytes()) {
        this.readNew(fd, size);
        this.rotateByCopyTruncate(fd);
        size = 0;
        this.offset = 0;
        return;
      }
      this.readNew(fd, size);
    } finally {
      closeSync(fd);
    }
  }

  private readNew(fd: number, size: number): void {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    while (this.offset < size) {
      const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      const text = this.partial + buf.toString('utf8', 0, n);
      const lines = text.split(/\r?\n/);
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) this.push(line);
    }
  }

  private push(line: string): void {
    const entry: LogLine = { runtime: this.runtime, pid: this.pid, ts: new Date().toISOString(), line };
    this.ring.push(entry);
    if (this.ring.length > RING_SIZE) this.ring.splice(0, this.ring.length - RING_SIZE);
    this.onLine(entry);
  }

  private rotatedName(i: number): string {
    return join(this.dir, `${this.runtime}.${i}.log`);
  }

  private shiftRotated(): void {
    const oldest = this.rotatedName(KEEP_ROTATED);
    if (existsSync(oldest)) unlinkSync(oldest);
    for (let i = KEEP_ROTATED - 1; i >= 1; i--) if (existsSync(this.rotatedName(i))) renameSync(this.rotatedName(i), this.rotatedName(i + 1));
  }

  private rotateByRename(): void {
    this.shiftRotated();
    renameSync(this.file, this.rotatedName(1));
  }

  private rotateByCopyTruncate(fd: number): void {
    this.shiftRotated();
    copyFileSync(this.file, this.rotatedName(1));
    ftruncateSync(fd, 0);
  }
}
