/**
 * MessagePack as the ZmqGame libraries write it: a .NET record marked `[MessagePackObject(keyAsPropertyName: true)]`
 * is a map from its property names, so a plain object with the same keys (`{ A: 40, B: 2 }`) is that record.
 * Integers come back as numbers; a 64-bit integer beyond 2^53 (a session id, say) comes back as a bigint, so no
 * digit is lost. A bigint is written as a 64-bit integer.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";

const encoder = new Encoder({ useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true });

/** A 64-bit integer as it may arrive: a number when it fits in 2^53, else a bigint. */
export type Int64 = number | bigint;

/** Writes a value as one MessagePack frame. */
export function encodePayload(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Reads one MessagePack frame; throws when it does not read. */
export function decodePayload(bytes: Uint8Array): unknown {
  return safeIntegers(decoder.decode(bytes));
}

/** 64-bit integers that fit in a double without loss become numbers, everywhere in the value. */
function safeIntegers(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      value[i] = safeIntegers(value[i]);
    }
    return value;
  }
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      record[key] = safeIntegers(record[key]);
    }
  }
  return value;
}
