/** Seed 000 shows times as `2018-05-06 12:00:00`; the platform writes them in UTC. */
export const seedTimestamp = (date: Date): string =>
  date.toISOString().slice(0, 19).replace('T', ' ');
