import { VaultError } from '@media-vault/contracts';
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { parseMultipartFields } from './form-body.js';

async function readRaw(request: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      throw new VaultError(
        'payloadTooLarge',
        `request body is larger than the ${limit}-byte limit`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function parseFields(type: string, raw: Buffer): Promise<Record<string, unknown>> {
  const mediaType = type.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new VaultError('badRequest', 'request body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new VaultError('badRequest', 'body must be object');
    }
    return parsed as Record<string, unknown>;
  }
  if (mediaType === 'multipart/form-data') return parseMultipartFields(type, raw);
  if (mediaType === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  throw new VaultError('badRequest', `a ${mediaType} body is not accepted here`);
}

/**
 * Seed 000 documents the create-download GET with FormData parameters, so a client may send
 * `source_id` in a body instead of the query. Fastify does not read bodies of GET requests; this
 * reads one when present and lets query parameters win over body fields.
 */
export const queryFromGetBody =
  (limit: number): preValidationAsyncHookHandler =>
  async (request) => {
    const type = request.headers['content-type'];
    if (request.method !== 'GET' || !type) return;
    const raw = await readRaw(request, limit);
    if (raw.length === 0) return;
    const fields = await parseFields(type, raw);
    const query = request.query as Record<string, unknown>;
    (request as { query: unknown }).query = { ...fields, ...query };
  };

/**
 * Form clients send an empty field for "no value"; for optional numbers that means "not given"
 * rather than a number that fails to parse.
 */
export const dropEmptyFields =
  (names: readonly string[]): preValidationAsyncHookHandler =>
  async (request) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null) return;
    for (const name of names) if (body[name] === '') delete body[name];
  };
