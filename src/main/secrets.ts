import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../shared/errors';

/** Encrypts secrets at rest (Electron's safeStorage: the OS keychain). Headless runs have none. */
export interface SecretCipher {
  readonly name: string;
  encrypt(plain: string): Buffer;
  decrypt(data: Buffer): string;
}

/** The Hub token, and one API key per remote provider (`remote:<provider id>`). */
export type SecretName = 'hf_token' | `remote:${string}`;

/** The file calls the secret store makes: a seam, so a test can fill the disk. */
export type SecretFs = Pick<typeof fs, 'writeFileSync' | 'renameSync' | 'chmodSync' | 'rmSync'>;

const SecretsFile = z.object({
  version: z.literal(1),
  cipher: z.string(),
  secrets: z.record(z.string(), z.string()),
});

/**
 * Secrets kept apart from the database: one 0600 file in the 0700 data dir, its values encrypted with
 * the OS keychain when the desktop app provides one. Never returned by the API (see `maskSecret`),
 * never logged, never in a runtime's environment unless that runtime needs it.
 *
 * Values are versions: `add` writes each under a fresh key and the settings row that uses it names
 * that key (settings-secrets.ts), so a value and its settings change together. The file is written
 * first with old and new versions side by side; the row then moves to the new one in one transaction;
 * `retain` drops versions no row names any more. A crash at any point leaves the old settings with
 * their old secrets, or the new with the new, never one of each.
 */
export class SecretStore {
  private values = new Map<string, string>();
  private readonly fs: SecretFs;

  constructor(
    private readonly file: string,
    private readonly cipher: SecretCipher | null = null,
    private readonly onError: (message: string) => void = () => {},
    fsSeam: Partial<SecretFs> = {},
  ) {
    this.fs = { writeFileSync: fs.writeFileSync, renameSync: fs.renameSync, chmodSync: fs.chmodSync, rmSync: fs.rmSync, ...fsSeam };
    this.load();
  }

  get(key: SecretName | string): string | null {
    return this.values.get(key) ?? null;
  }

  /** Sets or (null, '') removes one secret; a failed write changes nothing (see `save`). */
  set(name: SecretName, value: string | null): void {
    const next = new Map(this.values);
    if (value === null || value === '') next.delete(name);
    else next.set(name, value);
    this.save(next);
  }

  /**
   * Stores each value under a new key (`<prefix><name>@<random>`) and returns name → key. Nothing
   * changes, in the file or here, unless the whole file was written: a full disk is `insufficient_storage`.
   */
  add(values: ReadonlyMap<string, string>, prefix = ''): Map<string, string> {
    const keys = new Map<string, string>();
    if (!values.size) return keys;
    const next = new Map(this.values);
    for (const [name, value] of values) {
      const key = `${prefix}${name}@${randomBytes(6).toString('hex')}`;
      next.set(key, value);
      keys.set(name, key);
    }
    this.save(next);
    return keys;
  }

  /** Drops the keys `owned` claims that are not in `keep`. Best effort: one left behind goes next time. */
  retain(owned: (key: string) => boolean, keep: ReadonlySet<string>): void {
    const next = new Map([...this.values].filter(([key]) => !owned(key) || keep.has(key)));
    if (next.size === this.values.size) return;
    try {
      this.save(next);
    } catch (error) {
      this.onError(`Unused secrets stay in ${this.file} until the next save: ${(error as Error).message}`);
    }
  }

  private load(): void {
    this.removeStaleTemps();
    if (!fs.existsSync(this.file)) return;
    fs.chmodSync(this.file, 0o600);
    const parsed = SecretsFile.safeParse(safeJson(fs.readFileSync(this.file, 'utf8')));
    if (!parsed.success) return this.onError(`${this.file} is unreadable: secrets in it are ignored (set them again in Settings).`);
    const encrypted = parsed.data.cipher !== 'none';
    if (encrypted && parsed.data.cipher !== this.cipher?.name) {
      return this.onError(`${this.file} was encrypted with ${parsed.data.cipher}, which is not available now: set the Hugging Face token and secret runtime variables again in Settings.`);
    }
    for (const [name, value] of Object.entries(parsed.data.secrets)) {
      try {
        this.values.set(name, encrypted ? this.cipher!.decrypt(Buffer.from(value, 'base64')) : value);
      } catch {
        this.onError(`Secret "${name}" could not be decrypted: set it again in Settings.`);
      }
    }
  }

  /**
   * A process killed while writing leaves `secrets.json.<pid>.tmp` behind, secrets in it: it is never
   * read (the rename is what commits), so it goes. One Switchyard per data dir: no other writer is live.
   */
  private removeStaleTemps(): void {
    const dir = dirname(this.file);
    const prefix = `${basename(this.file)}.`;
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return; // no data dir yet: nothing left behind
    }
    for (const name of names) {
      if (name.startsWith(prefix) && /^\d{1,10}\.tmp$/.test(name.slice(prefix.length))) this.fs.rmSync(join(dir, name), { force: true });
    }
  }

  /** Writes `next` whole, then renames it into place; only then does it become what `get` answers. */
  private save(next: Map<string, string>): void {
    const secrets = Object.fromEntries([...next].map(([k, v]) => [k, this.cipher ? this.cipher.encrypt(v).toString('base64') : v]));
    const body = JSON.stringify({ version: 1, cipher: this.cipher?.name ?? 'none', secrets }, null, 2);
    // written whole then renamed: a crash never leaves half a file; created 0600, never readable by others
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      this.fs.writeFileSync(tmp, body, { mode: 0o600 });
      this.fs.chmodSync(tmp, 0o600);
      this.fs.renameSync(tmp, this.file);
    } catch (error) {
      try {
        this.fs.rmSync(tmp, { force: true });
      } catch {
        // the write's own error is the one to report
      }
      throw storageError(error, this.file);
    }
    this.values = next;
  }
}

/** A failed write as the API says it: a full disk is 507 and says what to do; anything else as it was. */
function storageError(error: unknown, file: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return error;
  return new AppError('insufficient_storage', `The disk holding ${dirname(file)} is full (${code}): nothing was saved. Free some space, then save again.`, undefined, { cause: error });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** What the API shows of a secret: enough to recognise it (`hf_…1234`), never enough to use it. */
export function maskSecret(value: string | null): string | null {
  if (!value) return null;
  // a short key shows little: at most 4 of its characters under 20, none under 12
  if (value.length < 12) return '…';
  if (value.length < 20) return `…${value.slice(-4)}`;
  return `${value.slice(0, 3)}…${value.slice(-4)}`;
}

/** A value sent back as the API showed it (it contains the mask's ellipsis): the stored secret stays. */
export function isMasked(value: string): boolean {
  return value.includes('…');
}
