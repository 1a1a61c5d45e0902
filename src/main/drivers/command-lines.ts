/**
 * A command as a user would type it, split for reading: the program and its operands on the first
 * line, then one option a line with its values (`--max-model-len 32768`). Words a shell would split or
 * expand are quoted, so the lines can be copied as they are.
 */
export function commandLines(words: readonly string[]): string[] {
  const lines: string[][] = [[]];
  for (const word of words) {
    if (word.startsWith('-') && lines[lines.length - 1]!.length > 0) lines.push([]);
    lines[lines.length - 1]!.push(shellWord(word));
  }
  return lines.map((l) => l.join(' '));
}

/** `a-b.c/d` as it is; anything else in single quotes (a `'` closed, escaped and reopened). */
function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
