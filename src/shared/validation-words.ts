// No zod here: the renderer's request layer imports this, and the first screen's chunk stays free of zod.

const num = (v: number) => v.toLocaleString('en-US');

/**
 * The server's validation message (`Too big: expected number to be <=1`) as the same kind of
 * sentence, for fields this build cannot check itself.
 */
export function serverMessageSentence(message: string): string {
  const big = /Too big: expected \w+ to (?:be|have) (<=?)\s*([\d.e+-]+)/.exec(message);
  if (big) return big[1] === '<' ? `Must be less than ${num(Number(big[2]))}.` : `Must be at most ${num(Number(big[2]))}.`;
  const small = /Too small: expected \w+ to (?:be|have) (>=?)\s*([\d.e+-]+)/.exec(message);
  if (small) return small[1] === '>' ? `Must be more than ${num(Number(small[2]))}.` : `Must be at least ${num(Number(small[2]))}.`;
  if (/expected int/i.test(message)) return 'Must be a whole number.';
  if (/expected number/i.test(message)) return 'Must be a number.';
  const option = /Invalid option: expected one of (.+)$/.exec(message);
  if (option) return `Must be one of: ${option[1]!.replace(/"/g, '').replace(/\|/g, ', ')}.`;
  return message.endsWith('.') ? message : `${message}.`;
}
