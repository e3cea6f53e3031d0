import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../src/audit/audit-writer.js';
import { ALL_COMMUNES } from '../src/auth/principal.js';
import { classesForRoles } from '../src/auth/sensitivity.js';
import { ChildReadRepository } from '../src/db/repositories/child-read.repository.js';
import { createGraphQLContext } from '../src/graphql/context.js';
import { createGateway } from '../src/graphql/gateway.js';
import { aRecord } from './support/records.js';
import { startTestHub, type TestHub } from './support/test-hub.js';

const NESTED = `query Page($first: Int!) { children(first: $first) { edges { node {
  id fullName commune { name } identityNumbers { number } specialCircumstances { group }
  sourceRecords { id sourceSystem fullName } provenance { field } } } pageInfo { hasNextPage } } }`;

describe('no N+1: statements per children page', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    const records = Array.from({ length: 120 }, (_, i) => [
      aRecord({ externalId: `H-${i}`, identityNumber: `0013150${String(i).padStart(5, '0')}`, groups: i % 7 === 0 ? [{ clause: 'd' }] : [] }),
      aRecord({ sourceSystem: 'school', externalId: `S-${i}`, identityNumber: `0013150${String(i).padStart(5, '0')}` }),
    ]).flat();
    const r = await hub.ctx.ingest.ingest(records);
    await hub.ctx.goldenRecords.recompute(r.childrenToRecompute);
  });
  afterAll(async () => hub?.close());

  it('runs the same small number of SQL statements for 10 and for 50 children with nested fields', async () => {
    const gateway = await createGateway({ config: hub.ctx.config, logger: hub.ctx.logger, audit: new AuditWriter(hub.ctx.sql, hub.ctx.logger) });
    const repo = new ChildReadRepository(hub.ctx.sql);
    const statements = async (first: number) => {
      const contextValue = createGraphQLContext({
        requestId: `n1-${first}`, repo, maxPageSize: 100, authError: null,
        principal: { subject: 's', officerId: null, officerName: null, agency: 'a', unit: null, roles: ['data_steward'], communeScope: ALL_COMMUNES, purpose: 'test', classes: classesForRoles(['data_steward']) },
      });
      const res = await gateway.executeOperation({ query: NESTED, variables: { first } }, { contextValue });
      expect(res.body.kind === 'single' && res.body.singleResult.errors).toBeFalsy();
      const edges = res.body.kind === 'single' ? (res.body.singleResult.data as { children: { edges: unknown[] } }).children.edges : [];
      expect(edges).toHaveLength(first);
      return contextValue.queries.count;
    };
    const ten = await statements(10);
    const fifty = await statements(50);
    // 1 page + 1 per nested relation (source records, identity numbers, memberships).
    expect(fifty).toBe(ten);
    expect(fifty).toBeLessThanOrEqual(4);
    await gateway.stop();
  });

  it('answers child(id) with its relations in one statement, with the same data as the batched path', async () => {
    const gateway = await createGateway({ config: hub.ctx.config, logger: hub.ctx.logger, audit: new AuditWriter(hub.ctx.sql, hub.ctx.logger) });
    const repo = new ChildReadRepository(hub.ctx.sql);
    const run = async (query: string, variables: Record<string, unknown>) => {
      const contextValue = createGraphQLContext({
        requestId: 'one', repo, maxPageSize: 100, authError: null,
        principal: { subject: 's', officerId: null, officerName: null, agency: 'a', unit: null, roles: ['data_steward'], communeScope: ALL_COMMUNES, purpose: 'test', classes: classesForRoles(['data_steward']) },
      });
      const res = await gateway.executeOperation({ query, variables }, { contextValue });
      if (res.body.kind !== 'single' || res.body.singleResult.errors) throw new Error(JSON.stringify(res.body));
      return { data: res.body.singleResult.data as Record<string, any>, statements: contextValue.queries.count };
    };
    const FIELDS = `id fullName identityNumbers { id number status structuralFindings { code } firstSeenAt verifiedAt }
      specialCircumstances { group clause evidenceSource sourceRecordId }
      sourceRecords { id sourceSystem externalId fullName birthDate groups linkRule firstSeenAt lastSeenAt sourceUpdatedAt linkedAt }`;
    const page = await run(`{ children(first: 10, filter: { group: DISABILITY }) { nodes { ${FIELDS} } } }`, {});
    for (const node of page.data.children.nodes) {
      const one = await run(`query($id: ID!) { child(id: $id) { ...F } } fragment F on Child { ${FIELDS} }`, { id: node.id });
      expect(one.statements).toBe(1);
      expect(one.data.child).toEqual(node);
    }
    await gateway.stop();
  });
});
