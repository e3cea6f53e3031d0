import { Field, ObjectType } from 'type-graphql';
import type { FacilityFilterSql } from '../../../db/repositories/projection-read.repository.js';
import { PageInfo } from '../connection.type.js';
import { Facility } from './facility.type.js';

@ObjectType({ description: 'One facility in a page, with its cursor.' })
export class FacilityEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Facility)
  node!: Facility;
}

@ObjectType({ description: 'A page of facilities (Relay connection), ordered by id (oldest record first).' })
export class FacilityConnection {
  @Field(() => [FacilityEdge])
  edges!: FacilityEdge[];

  @Field(() => [Facility], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes!: Facility[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  /** Kept for the `totalCount` resolver (counted only when asked). */
  filter!: FacilityFilterSql;
}
