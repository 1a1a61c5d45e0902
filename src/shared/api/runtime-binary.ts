import { z } from 'zod';
import { okShape } from './common';
import { RuntimeInfo } from './runtimes';

export const InstallStep = z.object({
  /** when to use it: "Linux", "with uv", … */
  label: z.string(),
  command: z.string(),
});

/** Where a runtime's program is, where it was looked for, and how to install it when missing. */
export const RuntimeBinaryInfo = z.object({
  /** the path or name set in Settings or by env, null: the default name */
  configured: z.string().nullable(),
  /** the env var that sets it, when one does (then it cannot be changed here) */
  overridden_by: z.string().nullable(),
  found: z.string().nullable(),
  searched: z.array(z.string()),
  install: z.array(InstallStep),
  docs_url: z.string(),
  /** what the runtime needs from the machine, in a sentence */
  requirements: z.string(),
});
export type RuntimeBinaryInfo = z.infer<typeof RuntimeBinaryInfo>;

export const RuntimeBinaryResponse = okShape({ binary: RuntimeBinaryInfo, server: RuntimeInfo });
export const LocateBinaryBody = z.object({ path: z.string().min(1).max(4096) });
