/**
 * A duration in words, to the two largest units (`40 s`, `2 min 10 s`, `8 h 5 min`, `3 d 2 h`): how late a slot
 * ran, how long a run has been queued. Negative durations (clocks apart) read as `0 s`.
 */
export function durationWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400), h = Math.floor((s % 86_400) / 3_600), m = Math.floor((s % 3_600) / 60), sec = s % 60;
  if (d) return `${d} d${h ? ` ${h} h` : ''}`;
  if (h) return `${h} h${m ? ` ${m} min` : ''}`;
  if (m) return `${m} min${sec ? ` ${sec} s` : ''}`;
  return `${sec} s`;
}
