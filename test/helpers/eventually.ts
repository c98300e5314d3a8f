/**
 * Polls `f` until it returns something truthy, for work that finishes after a response
 * (scoring runs just after a webhook's 204; connectors run in the background).
 */
export async function eventually<T>(f: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
