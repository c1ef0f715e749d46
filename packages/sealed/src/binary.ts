import { SealedFormatError } from './errors.js';

/** All integers in the format are unsigned big-endian; these keep that in one place. */
export function uint8(value: number): Buffer {
  return Buffer.of(checkedUint(value, 0xff));
}

export function uint16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(checkedUint(value, 0xffff));
  return out;
}

export function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(checkedUint(value, 0xffff_ffff));
  return out;
}

/** Sizes and counts are stored as 64-bit but must stay exact as JavaScript numbers. */
export function uint64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(checkedUint(value, Number.MAX_SAFE_INTEGER)));
  return out;
}

function checkedUint(value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${value} does not fit an unsigned field with maximum ${max}`);
  }
  return value;
}

export const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Reads a layout front to back. Running out of bytes is `truncated` and leftovers are
 * `trailing-data`, so every parser reports length problems the same way; `what` names the
 * structure in messages.
 */
export class ByteReader {
  private offset = 0;
  private readonly bytes: Buffer;

  constructor(
    bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.bytes = asBuffer(bytes);
  }

  /** Every layout opens with a magic and a version byte, checked the same way everywhere. */
  preamble(magic: Buffer, version: number): void {
    if (!this.take(magic.length).equals(magic)) {
      throw new SealedFormatError('malformed', `not a ${this.what} (bad magic)`);
    }
    const found = this.uint8();
    if (found !== version) {
      throw new SealedFormatError('unsupported-version', `${this.what} version ${found}`);
    }
  }

  get position(): number {
    return this.offset;
  }

  take(length: number): Buffer {
    if (this.offset + length > this.bytes.length) {
      throw new SealedFormatError(
        'truncated',
        `${this.what} ends at byte ${this.bytes.length}, before the ${length}-byte field at ${this.offset}`,
      );
    }
    const field = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return field;
  }

  uint8(): number {
    return this.take(1).readUInt8();
  }

  uint16(): number {
    return this.take(2).readUInt16BE();
  }

  uint32(): number {
    return this.take(4).readUInt32BE();
  }

  uint64(): number {
    const at = this.offset;
    const value = this.take(8).readBigUInt64BE();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SealedFormatError('malformed', `${this.what}: the integer at ${at} is too large`);
    }
    return Number(value);
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new SealedFormatError(
        'trailing-data',
        `${this.what} has ${this.bytes.length - this.offset} bytes after its end`,
      );
    }
  }
}
