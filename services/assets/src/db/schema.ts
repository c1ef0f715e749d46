import { outbox } from '@media-vault/service-kit';

// The audio asset tables arrive with the asset library; the outbox is here from the start so
// every event the service ever emits goes through it.
export { outbox };
