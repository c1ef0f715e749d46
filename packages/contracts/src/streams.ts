/** The two JetStream streams every service provisions idempotently at start. */
export const Streams = {
  events: {
    name: 'EVENTS',
    subjects: ['events.>'],
    description: 'Status events of every owned record, published through each service outbox.',
  },
  jobs: {
    name: 'JOBS',
    subjects: ['jobs.>'],
    description: 'Work queue consumed by the workers with durable pull consumers.',
  },
} as const;

export type StreamName = (typeof Streams)[keyof typeof Streams]['name'];
