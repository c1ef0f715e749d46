import type { CommandRequest, CommandResponse, CommandSubject } from '@media-vault/contracts';
import { sendCommand, type NatsConnection, type PrincipalSigner } from '@media-vault/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { principalOf } from './auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends a command to its owning service as the request's principal. */
    command<S extends CommandSubject>(
      request: FastifyRequest,
      subject: S,
      body: CommandRequest<S>,
    ): Promise<CommandResponse<S>>;
  }
}

export const busPlugin = fp(
  async (
    app: FastifyInstance,
    opts: { nc: NatsConnection; signer: PrincipalSigner; timeoutMs: number },
  ) => {
    app.decorate('command', (request, subject, body) =>
      sendCommand(opts.nc, subject, body, {
        principal: principalOf(request),
        signer: opts.signer,
        requestId: request.id,
        timeoutMs: opts.timeoutMs,
      }),
    );
  },
  { name: 'bus' },
);
