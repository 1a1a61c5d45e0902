import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';

/** Encrypts secrets at rest (Electron's safeStorage: the OS keychain). Headless runs have none. */
export interface SecretCipher {
  readonly name: string;
  encrypt(plain: string): Buffer;
  decrypt(data: Buffer): string;
}

/** The Hub token, and one API key per remote provider (`remote:<provider id>`). */
export type SecretName = 'hf_token' | `remote:${string}`;

const SecretsFile = z.object({
  version: z.literal(1),
  cipher: z.string(),
  secrets: z.record(z.string(), z.string()),
});

/**
 * Secrets kept apart from the database: one 0600 file in the 0700 data dir, its values encrypted with
 * the OS keychain when the desktop app provides one. Never returned by the API (see `maskSecret`),
 * never logged, never in a runtime's environment unless that runtime needs it.
 */
export class SecretStore {
  private values = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly cipher: SecretCipher | null = null,
    private readonly onError: (message: string) => void = () => {},
  ) {
    this.load();
  }

  get(name: SecretName): string | null {
    return this.values.get(name) ?? null;
  }

  set(name: SecretName, value: string | null): void {
    if (value === null || value === '') this.values.delete(name);
    else this.values.set(name, value);
    this.save();
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    chmodSync(this.file, 0o600);
    const parsed = SecretsFile.safeParse(safeJson(readFileSync(this.file, 'utf8')));
    if (!parsed.success) return this.onError(`${this.file} is unreadable: secrets in it are ignored (set them again in Settings).`);
    const encrypted = parsed.data.cipher !== 'none';
    if (encrypted && parsed.data.cipher !== this.cipher?.name) {
      return this.onError(`${this.file} was encrypted with ${parsed.data.cipher}, which is not available now: set the Hugging Face token again in Settings.`);
    }
    for (const [name, value] of Object.entries(parsed.data.secrets)) {
      try {
        this.values.set(name, encrypted ? this.cipher!.decrypt(Buffer.from(value, 'base64')) : value);
      } catch {
        this.onError(`Secret "${name}" could not be decrypted: set it again in Settings.`);
      }
    }
  }

  private save(): void {
    const secrets = Object.fromEntries([...this.values].map(([k, v]) => [k, this.cipher ? this.cipher.encrypt(v).toString('base64') : v]));
    const body = JSON.stringify({ version: 1, cipher: this.cipher?.name ?? 'none', secrets }, null, 2);
    // written whole then renamed: a crash never leaves half a file; created 0600, never readable by others
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, body, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
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
  if (value.length < 12) return '…';
  return `${value.slice(0, 3)}…${value.slice(-4)}`;
}

/** A value sent back as the API showed it (it contains the mask's ellipsis): the stored secret stays. */
export function isMasked(value: string): boolean {
  return value.includes('…');
}
