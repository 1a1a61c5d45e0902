import type { z } from 'zod';
import { request } from './client';

/**
 * The pieces every typed endpoint is made of. A response type is the `z.output` of the schema the
 * server's route declares (src/shared/api/*), a query or body the `z.input` of the one it validates
 * with, so a renderer call and its route cannot drift apart: the CLI does the same (src/main/cli).
 * Only types are imported from the schemas, so zod adds nothing to these calls at run time.
 */
export type Out<S extends z.ZodType> = z.output<S>;
export type In<S extends z.ZodType> = z.input<S>;

type QueryValue = string | number | boolean | null | undefined;

/**
 * A query string's fields: what the route's schema takes. Coerced fields (zod's input is `unknown`)
 * take their parsed type or its text, as typed into a form (`vram_gb: '24'`).
 */
export type Query<S extends z.ZodType> = { [K in keyof In<S>]: unknown extends In<S>[K] ? (K extends keyof Out<S> ? Out<S>[K] : never) | string | undefined : In<S>[K] };

/** `?a=1&b=x` from a query object; undefined, null and '' are left out (the schema's default applies). */
export function qs(params: object | null | undefined): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {}) as [string, QueryValue][]) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const text = p.toString();
  return text ? `?${text}` : '';
}

/** A path segment: model names hold `/` and `:` (`org/name`, `llama3:8b`). */
export const seg = (value: string | number): string => encodeURIComponent(String(value));

export const get = <S extends z.ZodType>(path: string, signal?: AbortSignal) => request<Out<S>>('GET', path, undefined, signal);
export const post = <S extends z.ZodType>(path: string, body: unknown = {}) => request<Out<S>>('POST', path, body);
export const put = <S extends z.ZodType>(path: string, body: unknown) => request<Out<S>>('PUT', path, body);
export const patch = <S extends z.ZodType>(path: string, body: unknown) => request<Out<S>>('PATCH', path, body);
export const del = <S extends z.ZodType>(path: string) => request<Out<S>>('DELETE', path);
