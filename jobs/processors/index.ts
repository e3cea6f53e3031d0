import type { Job } from 'bullmq';
import type { AppContext } from '../../src/app/app-context.js';
import type { QueueClient } from '../queue-client.js';
import type { QueueName } from '../queues.js';
import { connectorSyncProcessor } from './connector-sync.processor.js';
import { goldenRecordProcessor } from './golden-record.processor.js';
import { groupsAgeOutProcessor } from './groups-age-out.processor.js';
import { identityIssuanceProcessor } from './identity-issuance.processor.js';
import { identityReconcileProcessor } from './identity-reconcile.processor.js';
import { identitySweepProcessor } from './identity-sweep.processor.js';

/** A BullMQ processor as the worker runs it; job data is `unknown` until the processor validates it. */
export type JobProcessor = (job: Job<unknown, unknown, string>, token?: string, signal?: AbortSignal) => Promise<unknown>;

/** What a processor may use besides the application: the worker's producer side of the queues, to add follow-up jobs. */
export interface ProcessorDeps {
  queues: QueueClient;
  /**
   * Aborted when the worker starts to stop (its reason a WorkerStoppingError): a long job may then stop at a safe
   * point and hand its job back to the queue instead of running through the shutdown grace. @defaultValue never
   */
  stopping?: AbortSignal;
}

/** Builds a queue's processor from the composition root. */
export type ProcessorFactory = (ctx: AppContext, deps: ProcessorDeps) => JobProcessor;

/** Processor factories by queue name; the worker checks at start-up that every registered queue has one. */
export type ProcessorRegistry = Readonly<Partial<Record<string, ProcessorFactory>>>;

/** The hub's processors, one per registered queue. */
export const PROCESSORS = {
  'golden-record': goldenRecordProcessor,
  'identity-reconcile': identityReconcileProcessor,
  'identity-issuance': identityIssuanceProcessor,
  'identity-sweep': identitySweepProcessor,
  'groups-age-out': groupsAgeOutProcessor,
  'connector-sync': connectorSyncProcessor,
} as const satisfies Record<QueueName, ProcessorFactory>;
