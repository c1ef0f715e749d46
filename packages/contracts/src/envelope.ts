import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Seed 000 response style: `{data, message}`; `message` is a user-facing hint, empty if none. */
export const Envelope = <T extends TSchema>(data: T) =>
  Type.Object({
    data,
    message: Type.String(),
  });

export const ErrorEnvelope = Type.Object({
  data: Type.Null(),
  message: Type.String(),
});
export type ErrorEnvelope = Static<typeof ErrorEnvelope>;

/** Seed 002 response style for errors: the grpc-gateway `Status` JSON. */
export const GrpcError = Type.Object({
  code: Type.Integer({ description: 'gRPC status code' }),
  message: Type.String(),
  details: Type.Array(Type.Unknown()),
});
export type GrpcError = Static<typeof GrpcError>;
