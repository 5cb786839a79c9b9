/** The wall clock as a dependency, so rules that depend on time (session expiry) can run on a fixed one. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
