import { REFERENCE_DATE } from '../../src/sample/calendar.js';

/**
 * The time test hubs build children at: noon in Hà Nội on the sample's reference date, when every child the
 * sample generates is under 16. Fixtures hold fixed birth dates (the sample's, `2015-03-02`…), and a child's
 * groups end at 16 (GoldenRecordService): with the system clock, those children would leave their groups as
 * the years pass and the tests would depend on the day they run.
 */
export const TEST_NOW = new Date(`${REFERENCE_DATE}T12:00:00+07:00`);
export const testClock = (): Date => TEST_NOW;
