import ExcelJS from 'exceljs';

/**
 * exceljs 4.4 keeps a formula cell's result only when it is truthy (`FormulaValue._copyModel` copies `if (value)`),
 * so the streaming reader, which gives a cell `{ formula, result }`, lost every result of 0, of FALSE (read as
 * 0) and of an error (read as NaN: its code is dropped before): `=B2-C2` giving 0 children present read as an
 * empty cell (QA). Mended here, once per process, for every cell exceljs makes: a result given is kept, whatever
 * it is. An empty text result stays empty as before (the reader reads `""` as no value).
 *
 * Applied by importing this module (the XLSX reader does); `formulaResultsKept` says whether it took. A version
 * of exceljs without the method has nothing to mend; the reader's tests fail if a later one drops results again.
 */
export const formulaResultsKept: boolean = keepEveryFormulaResult();

function keepEveryFormulaResult(): boolean {
  const cell = new ExcelJS.Workbook().addWorksheet('probe').getCell('A1');
  cell.value = { formula: '0', result: 0 };
  if ((cell.value as { result?: unknown }).result === 0) return true;
  const proto = Object.getPrototypeOf((cell as unknown as { _value: object })._value) as { _copyModel?: (model: Record<string, unknown>) => Record<string, unknown> };
  const original = proto._copyModel;
  if (typeof original !== 'function') return false;
  proto._copyModel = function copyModel(this: unknown, model: Record<string, unknown>) {
    const copy = original.call(this, model);
    if (model && model.result !== undefined && model.result !== null && copy.result === undefined) copy.result = model.result;
    return copy;
  };
  cell.value = { formula: '0', result: 0 };
  return (cell.value as { result?: unknown }).result === 0;
}
