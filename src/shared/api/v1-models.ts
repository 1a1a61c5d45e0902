import { z } from 'zod';

/**
 * `GET /v1/models` as the OpenAI-compatible endpoint answers it (OpenAI's list shape): the models a
 * request's `model` may name right now. The renderer's chat picker lists these.
 */
export const V1Model = z.looseObject({ id: z.string(), object: z.string().optional(), owned_by: z.string().optional() });
export const V1ModelList = z.looseObject({ object: z.literal('list'), data: z.array(V1Model) });
export type V1ModelList = z.infer<typeof V1ModelList>;
