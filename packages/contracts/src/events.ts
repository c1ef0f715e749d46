import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Every status event carries the full record, the previous and the new status and a timestamp.
 * `id` is unique per change and is the JetStream `Nats-Msg-Id`, so a redelivered outbox row is
 * dropped by the stream's duplicate window instead of being seen twice.
 */
export const StatusEvent = <T extends TSchema, S extends TSchema>(record: T, status: S) =>
  Type.Object({
    id: Type.String(),
    type: Type.String(),
    at: Type.String({ format: 'date-time' }),
    previous_status: Type.Union([status, Type.Null()]),
    status,
    record,
  });
