import { VaultError } from '@media-vault/contracts';

export interface FormLimits {
  /** Fields a request may carry; the widest route takes eight. */
  readonly fields: number;
  /** Bytes of one field's value. */
  readonly fieldBytes: number;
}

export const DEFAULT_FORM_LIMITS: FormLimits = { fields: 32, fieldBytes: 16 * 1024 };

const BOUNDARY = /;\s*boundary=("[^"]+"|[^\s;]+)/i;

/**
 * Parses a `multipart/form-data` body that has already been read (and bounded) whole into its
 * text fields. Files, repeated fields and fields beyond `limits` are refused with a message.
 */
export async function parseMultipartFields(
  contentType: string,
  raw: Uint8Array,
  limits: FormLimits = DEFAULT_FORM_LIMITS,
): Promise<Record<string, string>> {
  if (!BOUNDARY.test(contentType)) {
    throw new VaultError(
      'badRequest',
      'Content-Type multipart/form-data needs a boundary parameter',
    );
  }
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(raw), {
      headers: { 'content-type': contentType },
    }).formData();
  } catch {
    throw new VaultError('badRequest', 'request body is not valid multipart/form-data');
  }
  const fields = new Map<string, string>();
  let count = 0;
  for (const [name, value] of form) {
    if (++count > limits.fields) {
      throw new VaultError('payloadTooLarge', `a form may have at most ${limits.fields} fields`);
    }
    if (typeof value !== 'string') {
      throw new VaultError('badRequest', `${name}: files are not accepted`);
    }
    if (Buffer.byteLength(value) > limits.fieldBytes) {
      throw new VaultError(
        'payloadTooLarge',
        `${name}: a field may have at most ${limits.fieldBytes} bytes`,
      );
    }
    if (fields.has(name)) throw new VaultError('badRequest', `${name}: is given more than once`);
    fields.set(name, value);
  }
  return Object.fromEntries(fields);
}
