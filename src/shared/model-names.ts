/** `tinyllama` → `tinyllama:latest`, as Ollama lists it in /api/tags. */
export function ollamaCanonicalName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.includes(':') ? name : `${name}:latest`;
}

/** Whether two model names denote the same model (`llama3.2` = `llama3.2:latest`). */
export function sameModelName(a: string, b: string): boolean {
  return a === b || ollamaCanonicalName(a) === ollamaCanonicalName(b);
}
