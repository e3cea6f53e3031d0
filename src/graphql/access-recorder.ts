import type { SensitivityClass } from '../auth/sensitivity.js';

/**
 * Collects, during one GraphQL request, which children's data of which classes was released and which
 * fields were denied. The audit plugin turns it into audit events when the response is about to be sent.
 */
export class AccessRecorder {
  readonly childIds = new Set<string>();
  readonly classes = new Set<SensitivityClass>();
  readonly deniedChildIds = new Set<string>();
  readonly deniedFields = new Set<string>();

  read(childId: unknown, cls: SensitivityClass): void {
    if (typeof childId === 'string') this.childIds.add(childId);
    this.classes.add(cls);
  }

  deny(childId: unknown, field: string): void {
    if (typeof childId === 'string') this.deniedChildIds.add(childId);
    this.deniedFields.add(field);
  }
}
