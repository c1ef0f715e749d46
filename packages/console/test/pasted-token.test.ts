import { describe, expect, it } from 'vitest';
import { tokenOfPaste } from '../src/pasted-token.js';

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl';

describe('the token in a pasted sign-in text', () => {
  it.each([
    ['the token alone', jwt],
    ['with a trailing newline', `${jwt}\n`],
    ['surrounded by spaces', `   ${jwt}  `],
    [
      'the whole output of npm run token, npm banner included',
      `\n> token\n> tsx scripts/token.ts --user 7 --roles 100\n\n${jwt}\n`,
    ],
    ['Windows line ends', `> token\r\n\r\n${jwt}\r\n`],
    ['a Token header', `Token: ${jwt}`],
    ['an Authorization header', `Authorization: Bearer ${jwt}`],
    ['a Bearer credential', `Bearer ${jwt}`],
    ['in double quotes', `"${jwt}"`],
  ])('%s', (_name, pasted) => {
    expect(tokenOfPaste(pasted)).toBe(jwt);
  });

  it('leaves nothing to send when nothing was pasted', () => {
    expect(tokenOfPaste('  \n \n')).toBe('');
  });
});
