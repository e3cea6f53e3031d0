import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { AuditWriter } from '../../audit/audit-writer.js';
import type { Metrics } from '../../observability/metrics.js';
import type { GraphQLContext } from '../context.js';
import { operationLabel } from './operation-label.js';

/**
 * Writes the audit of a request before its response leaves: READ events listing the children whose personal
 * data was released, one per set of classes released (each child with the classes released of it), one WRITE event for changes asked for (the children,
 * or the ids of other records changed, such as rejected records dismissed, with the operations), and one
 * DENIED event for refused fields. If the audit cannot be written, the data is withheld (AUDIT_UNAVAILABLE) —
 * no read without its record.
 */
export function useAudit(audit: AuditWriter, logger: Logger, metrics?: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue: ctx, operationName, response }) {
          const p = ctx.principal;
          const access = ctx.access;
          if (!p || (!access.released && access.deniedFields.size === 0 && access.writes.size === 0 && access.recordWrites.size === 0 && access.auditReads.length === 0)) return;
          const base = {
            operation: operationName ? operationLabel(operationName) : 'anonymous',
            requestId: ctx.requestId,
            subject: p.subject,
            officerId: p.officerId,
            agency: p.agency,
            unit: p.unit,
            roles: p.roles,
            purpose: p.purpose,
          };
          const writes: Promise<void>[] = [];
          // One READ event per set of classes released, naming the children (and the records that name no child:
          // source records not linked yet, rejected records' payloads) released with exactly those classes.
          const groups = access.releasedGroups();
          for (const g of groups) {
            writes.push(audit.write({
              ...base, action: 'READ', childIds: g.childIds, fieldClasses: g.fieldClasses,
              details: {
                ...(g.fields.length ? { fields: g.fields } : {}),
                ...(g.unlinkedRecordIds.length ? { sourceRecordIds: g.unlinkedRecordIds } : {}),
                ...(g.rejectedRecordIds.length ? { rejectedRecordIds: g.rejectedRecordIds } : {}),
              },
            }));
          }
          // A read of the audit or the registry call log: of no class (it releases no child's data), naming the child asked
          // about, with the filter.
          for (const r of access.auditReads) {
            writes.push(audit.write({ ...base, action: 'READ', childIds: r.childIds, fieldClasses: [],
              details: { fields: [r.field], filter: r.filter, rows: r.rows } }));
          }
          if (access.writes.size || access.recordWrites.size) {
            const operations = new Set([...access.writes.values()].flatMap((s) => [...s]));
            for (const op of access.recordWrites.keys()) operations.add(op);
            const recordIds = [...new Set([...access.recordWrites.values()].flatMap((s) => [...s]))].sort();
            writes.push(audit.write({ ...base, action: 'WRITE', childIds: [...access.writes.keys()].sort(), fieldClasses: [],
              details: { operations: [...operations].sort(), ...(recordIds.length ? { recordIds } : {}) } }));
          }
          if (access.deniedFields.size) {
            writes.push(audit.write({ ...base, action: 'DENIED', childIds: [...access.deniedChildIds].sort(), fieldClasses: [],
              details: {
                fields: [...access.deniedFields].sort(),
                ...(access.deniedRecordIds.size ? { sourceRecordIds: [...access.deniedRecordIds].sort() } : {}),
                ...(access.deniedRejectedRecordIds.size ? { rejectedRecordIds: [...access.deniedRejectedRecordIds].sort() } : {}),
              } }));
          }
          try {
            await Promise.all(writes);
            // Every event by its action (QA: only READs were counted).
            const reads = groups.length + access.auditReads.length;
            if (reads) metrics?.auditEvents.inc({ action: 'READ' }, reads);
            if (access.writes.size || access.recordWrites.size) metrics?.auditEvents.inc({ action: 'WRITE' });
            if (access.deniedFields.size) metrics?.auditEvents.inc({ action: 'DENIED' });
          } catch (err) {
            logger.error({ err, requestId: ctx.requestId }, 'audit unavailable: withholding response data');
            if (response.body.kind === 'single') {
              response.body.singleResult = {
                data: null,
                errors: [{ message: 'The audit log is unavailable, so no personal data can be released. Try again shortly.', extensions: { code: 'AUDIT_UNAVAILABLE', requestId: ctx.requestId } }],
              };
            }
            response.http.status = 503;
          }
        },
      };
    },
  };
}
