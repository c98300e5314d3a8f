import { resolutionWaves } from '../../src/risk/resolve-user.js';
import type { SignalUser } from '../../src/risk/signal.js';

const waves = (users: SignalUser[]) => resolutionWaves(users.map((u, i) => ({ i, u })), (x) => x.u).map((w) => w.map((x) => x.i));

describe('resolutionWaves', () => {
  test('users naming nothing in common resolve together', () => {
    expect(waves([{ email: 'a@x.com' }, { email: 'b@x.com' }, { identifiers: [{ kind: 'upn', value: 'c@x.com' }] }])).toEqual([[0, 1, 2]]);
  });

  test('a user named again (any spelling of the same email) starts the next wave, in order', () => {
    expect(waves([{ email: 'a@x.com' }, { email: 'b@x.com' }, { email: 'A@X.com' }, { email: 'c@x.com' }])).toEqual([[0, 1], [2, 3]]);
  });

  test('sharing any one identifier, or the user id, separates two signals', () => {
    expect(waves([
      { email: 'a@x.com', identifiers: [{ kind: 'upn', value: 'u1' }] },
      { email: 'b@x.com', identifiers: [{ kind: 'upn', value: 'u1' }] },
    ])).toEqual([[0], [1]]);
    expect(waves([{ id: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }, { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', email: 'z@x.com' }])).toEqual([[0], [1]]);
  });

  test('no items, no waves', () => {
    expect(waves([])).toEqual([]);
  });
});
