/** SQL helpers shared by the repositories. */

/** Escapes `%`, `_` and `\` so user text in an ILIKE pattern matches literally. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);
