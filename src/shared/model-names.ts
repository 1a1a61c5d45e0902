/** `tinyllama` → `tinyllama:latest`, as Ollama lists it in /api/tags. */
export function ollamaCanonicalName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.includes(':') ? name : `${name}:latest`;
}

/** Whether two model names denote the same model (`llama3.2` = `llama3.2:latest`). */
export function sameModelName(a: string, b: string): boolean {
  return a === b || ollamaCanonicalName(a) === ollamaCanonicalName(b);
}

/**
 * Whether the model an OpenAI request names is the one being served, as clients spell it: case aside,
 * without Ollama's `:latest`, or without the repo's organisation (`qwen3-0.6b` for `Qwen/Qwen3-0.6B`).
 */
export function requestNamesServedModel(requested: string, served: string): boolean {
  if (requested === served) return true;
  const norm = (s: string) => s.toLowerCase().replace(/:latest$/, '');
  const a = norm(requested);
  const b = norm(served);
  return a === b || a === b.slice(b.lastIndexOf('/') + 1);
}
