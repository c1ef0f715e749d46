/**
 * The token in what a person pasted into the sign-in box. `npm run token` without `-s` prints
 * npm's banner lines above the token, and people copy headers (`Token: …`, `Authorization: Bearer
 * …`) from curl commands: the token is the last non-empty line, without such a prefix.
 */
export function tokenOfPaste(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const last = lines.at(-1) ?? '';
  return last
    .replace(/^(authorization\s*:\s*)?bearer\s+/i, '')
    .replace(/^token\s*:\s*/i, '')
    .replace(/^["']|["']$/g, '')
    .trim();
}
