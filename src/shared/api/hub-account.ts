import { z } from 'zod';
import { okShape } from './common';

/** Where the Hugging Face token the core sends comes from. */
export const HubTokenSource = z.enum(['settings', 'env', 'file']);
export type HubTokenSource = z.infer<typeof HubTokenSource>;

export const HubTokenInfo = z.object({
  /** the token shown as `hf_…1234`, never in full */
  masked: z.string().nullable(),
  source: HubTokenSource.nullable(),
  endpoint: z.string(),
});
export type HubTokenInfo = z.infer<typeof HubTokenInfo>;

export const HubTokenResponse = okShape({ token: HubTokenInfo });

export const HubCheckResponse = okShape({
  token: HubTokenInfo,
  /** false: no token, or the Hub refused it */
  valid: z.boolean(),
  user: z.string().nullable(),
  orgs: z.array(z.string()),
  role: z.string().nullable(),
  /** a sentence for people */
  message: z.string(),
});
export type HubCheckResponse = z.infer<typeof HubCheckResponse>;
