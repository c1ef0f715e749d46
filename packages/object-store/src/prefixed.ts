import { checkKey, checkPrefix } from './object-checks.js';
import {
  ObjectContentError,
  ObjectExistsError,
  ObjectNotFoundError,
  type ObjectStorePort,
  type StoredObject,
} from './object-store-port.js';

/** The inner store's error about `key`, as the view's caller named it. */
function asCallerSees(err: unknown, key: string): unknown {
  if (err instanceof ObjectNotFoundError) return new ObjectNotFoundError(key);
  if (err instanceof ObjectExistsError) return new ObjectExistsError(key);
  if (err instanceof ObjectContentError) {
    return new ObjectContentError(key, err.reason, err.message, err.measured);
  }
  return err;
}

/**
 * One store seen as several: every key of the view lives under `prefix` in `store`, and the view
 * sees nothing else. Staging on S3 keeps each staging bucket (chunks, files) as a prefix of one
 * S3 bucket, so a deployment needs one bucket and one set of keys. Closing the view leaves the
 * shared store open for the other views.
 */
// Every method is async, so a bad key is a rejected promise, as the port promises, not a throw.
export function withPrefix(store: ObjectStorePort, prefix: string): ObjectStorePort {
  checkPrefix(prefix);
  if (!prefix.endsWith('/')) throw new Error(`a view's prefix ends with "/": ${prefix}`);
  const inner = (key: string) => `${prefix}${checkKey(key)}`;
  const outer = (object: StoredObject): StoredObject => ({
    ...object,
    key: object.key.slice(prefix.length),
  });
  return {
    put: async (key, source, options) => {
      try {
        return outer(await store.put(inner(key), source, options));
      } catch (err) {
        throw asCallerSees(err, key);
      }
    },
    async *get(key, options) {
      try {
        yield* store.get(inner(key), options);
      } catch (err) {
        throw asCallerSees(err, key);
      }
    },
    stat: async (key) => {
      const found = await store.stat(inner(key));
      return found && outer(found);
    },
    delete: async (key) => store.delete(inner(key)),
    async *list(under = '') {
      checkPrefix(under);
      for await (const object of store.list(`${prefix}${under}`)) yield outer(object);
    },
    expire: async (before, under = '') => {
      checkPrefix(under);
      return store.expire(before, `${prefix}${under}`);
    },
    close: async () => {},
  };
}
