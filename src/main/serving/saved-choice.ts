import { z } from 'zod';

/** A model of a process-less provider (a remote one) that `llm-runtime/active` made the default. */
const Saved = z.object({ provider: z.string().min(1), model: z.string().min(1) });
export type SavedRoute = z.infer<typeof Saved>;

/** Where a small value is kept across restarts (`SettingsRepo`'s app state). */
export interface StateStore {
  readState<T>(key: string): T | undefined;
  writeState(key: string, value: unknown): void;
}

/**
 * One stored choice, read back on start: `{provider, model}` or null. Kept apart from what serves now,
 * so a restart of Switchyard puts back what the user chose — the default route (`router.default`) and
 * the embeddings slot's model (`router.embeddings`). A value this build cannot read counts as none.
 */
export class SavedChoice {
  private value: SavedRoute | null;

  constructor(
    private readonly store: StateStore | null,
    private readonly key: string,
  ) {
    const parsed = Saved.safeParse(store?.readState(key));
    this.value = parsed.success ? parsed.data : null;
  }

  get(): SavedRoute | null {
    return this.value;
  }

  set(value: SavedRoute | null): void {
    if (this.value?.provider === value?.provider && this.value?.model === value?.model) return;
    this.value = value ? { provider: value.provider, model: value.model } : null;
    this.store?.writeState(this.key, this.value);
  }
}
