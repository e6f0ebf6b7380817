import { likePrefix } from './users.service';

describe('likePrefix', () => {
  it('escapes LIKE wildcards and the escape character, then matches as a prefix', () => {
    expect(likePrefix('a%b_c')).toBe('a\\%b\\_c%');
    expect(likePrefix('back\\slash')).toBe('back\\\\slash%');
    expect(likePrefix('plain')).toBe('plain%');
  });
});
