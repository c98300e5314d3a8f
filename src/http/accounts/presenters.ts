import type { Account } from '../../domain/account.js';

/** The account as the API shows it. */
export function presentAccount(a: Account) {
  return { id: a.id, name: a.name, created_at: a.createdAt.toISOString() };
}
