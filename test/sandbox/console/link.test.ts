import { describe, expect, it } from 'vitest';
import { consoleLink } from '../../../sandbox/state.js';

describe('console link', () => {
  it('console link: the secret goes in the fragment, never the path or the query', () => {
    const url = consoleLink({ console: 'http://127.0.0.1:4566/_chatctl/console/', controlSecret: 'a b/c' });
    expect(url).toBe('http://127.0.0.1:4566/_chatctl/console/#secret=a%20b%2Fc');
    expect(new URL(url ?? '').search).toBe('');
    expect(consoleLink({})).toBeUndefined();
  });
});
