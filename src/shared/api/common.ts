import { z } from 'zod';

/** Every success body carries `success: true`; errors are `ErrorBody` from errors.ts. */
export const Ok = z.object({ success: z.literal(true) });

export const okShape = <T extends z.ZodRawShape>(shape: T) => z.object({ success: z.literal(true), ...shape });

/** Model names as they appear in paths (URL-encoded by clients): `org/name`, `llama3:8b`, … */
export const ModelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w\-.:/]+$/, 'model names may only contain letters, digits, _ - . : /')
  .refine((s) => !s.includes('..') && !s.startsWith('/'), 'model names may not contain ".." or start with "/"');
