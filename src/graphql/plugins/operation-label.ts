import { fileLabel } from '../../connectors/file/file-label.js';

/**
 * An operation's name as logged and audited: the client chooses it, and may put a child's name or number in it
 * (QA: `query Nguyen_Cong_Huy_001217183443` was logged as written). Withheld by the rules file names get
 * (`Nguyen_Cong_Huy_001217183443` → `[withheld]`, `ChildById` and `ListChildrenInCommune` unchanged).
 */
export function operationLabel(name: string): string {
  return fileLabel(name);
}
