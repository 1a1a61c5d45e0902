/**
 * Copies packed into reused 1 MiB blocks of shared memory, within a bound: a freed 1 MiB Buffer stays
 * in RSS until a GC notices it, which under a fast download is tens of MiB of garbage, and shared
 * memory is let go of only once the hash thread's GC has run too. The hash thread reads the copies
 * where they are.
 */
const BLOCK_BYTES = 1024 * 1024;

interface Block {
  buf: Buffer;
  used: number;
  /** copies in it not yet freed */
  refs: number;
}

export class BlockArena {
  private readonly spare: Block[] = [];
  private filling: Block | null = null;
  /** bytes of the blocks in use (the one filling, and those with copies not yet freed) */
  private held = 0;

  constructor(private readonly limit: number) {}

  /**
   * A copy of `bytes` and the function that gives its room back (once), or null when the bound is
   * reached or the piece is bigger than a block.
   */
  copy(bytes: Buffer): { copy: Buffer; free: () => void } | null {
    if (bytes.length > BLOCK_BYTES) return null;
    if (!this.filling || BLOCK_BYTES - this.filling.used < bytes.length) {
      if (this.filling) {
        const full = this.filling;
        this.filling = null;
        if (full.refs === 0) this.giveBack(full);
      }
      if (this.held + BLOCK_BYTES > this.limit) return null;
      this.filling = this.spare.pop() ?? { buf: Buffer.from(new SharedArrayBuffer(BLOCK_BYTES)), used: 0, refs: 0 };
      this.filling.used = 0;
      this.held += BLOCK_BYTES;
    }
    const block = this.filling;
    const copy = block.buf.subarray(block.used, block.used + bytes.length);
    bytes.copy(copy);
    block.used += bytes.length;
    block.refs += 1;
    let freed = false;
    const free = () => {
      if (freed) return;
      freed = true;
      block.refs -= 1;
      if (block.refs === 0 && block !== this.filling) this.giveBack(block);
    };
    return { copy, free };
  }

  private giveBack(block: Block): void {
    this.held -= BLOCK_BYTES;
    if (this.spare.length < this.limit / BLOCK_BYTES) this.spare.push(block);
  }
}
