// A promise that resolves after `ms` milliseconds.
export const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));
