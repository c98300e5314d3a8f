/** Injected time source, so time-dependent rules are tested without sleeping (STYLE §13). */
export type Clock = () => Date;

/** The wall clock. */
export const systemClock: Clock = () => new Date();
