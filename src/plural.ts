// "1 epoch", "2 epochs": counts in messages read as English.

/** `n` and the word, in the plural unless n is 1 (`plural` defaults to word + 's'). */
export function count(n: number, word: string, plural = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : plural}`;
}
