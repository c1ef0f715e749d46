/**
 * The `Idempotency-Key` request header of the creates (as in the IETF HTTP API working group's
 * draft and Stripe's API): a client that got no reply sends the create again with the same key
 * and gets the first reply, not a second task or asset. Not in the seeds; optional everywhere.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Printable ASCII without spaces, as a header carries it; a UUID is the usual choice. */
export const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7e]+$',
  description:
    'Any 1–255 printable ASCII characters without spaces (a UUID is a good choice), new for each create. Sent again with the same request, the create answers what it answered the first time instead of creating again; with another request, 409.',
});
export type IdempotencyKey = Static<typeof IdempotencyKey>;

/** The header as a route declares it. Header names reach the gateway in lower case. */
export const IdempotencyKeyHeader = 'idempotency-key';
export const IdempotencyHeaders = Type.Object({
  [IdempotencyKeyHeader]: Type.Optional(IdempotencyKey),
});

/** The command field the gateway puts the header's value in. */
export const IdempotencyKeyField = Type.Object({ idempotency_key: Type.Optional(IdempotencyKey) });
export type IdempotencyKeyField = Static<typeof IdempotencyKeyField>;
