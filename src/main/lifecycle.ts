/**
 * One owner closes everything it created, in reverse order of creation (later modules depend on
 * earlier ones). Closing twice is harmless; a failing closer does not stop the others.
 */
export interface Closeable {
  close(): void | Promise<void>;
}

export type Closer = Closeable | (() => void | Promise<void>);

export class LifecycleStore {
  private readonly items: { name: string; closer: Closer }[] = [];
  private closing: Promise<void> | null = null;

  add<T extends Closer>(name: string, closer: T): T {
    if (this.closing) throw new Error(`cannot add "${name}": already closing`);
    this.items.push({ name, closer });
    return closer;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  close(onError: (name: string, error: unknown) => void = () => {}): Promise<void> {
    this.closing ??= (async () => {
      for (const { name, closer } of this.items.splice(0).reverse()) {
        try {
          await (typeof closer === 'function' ? closer() : closer.close());
        } catch (error) {
          onError(name, error);
        }
      }
    })();
    return this.closing;
  }
}
