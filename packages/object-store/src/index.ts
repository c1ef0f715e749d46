export {
  BucketUnavailableError,
  InvalidObjectKeyError,
  ObjectContentError,
  ObjectExistsError,
  ObjectNotFoundError,
  type GetOptions,
  type ObjectStorePort,
  type PutOptions,
  type StoredObject,
} from './object-store-port.js';
export { openFsObjectStore, type FsObjectStoreOptions } from './fs.adapter.js';
export { natsBuckets, openNatsObjectStore, type NatsObjectStoreOptions } from './nats.adapter.js';
export { openNatsObject, readObjectChunks, type ObjectReadOptions } from './nats-object-reader.js';
export { openS3ObjectStore, type S3ObjectStoreOptions } from './s3.adapter.js';
export {
  ObjectStoreConfig,
  objectStoreSettingsOf,
  openObjectStore,
  readObjectStoreSettings,
  type ObjectStoreConfigValues,
  type ObjectStoreContext,
  type ObjectStoreDefaults,
  type ObjectStoreSettings,
} from './settings.js';
export {
  StagingConfig,
  stagingBuckets,
  stagingDirectory,
  stagingFromSettings,
  type StagingBuckets,
  type StagingOptions,
  type StagingSettings,
} from './staging.js';
export { withPrefix } from './prefixed.js';
export { storeFailureOf, type StoreFailure } from './store-errors.js';
