import { readdirSync, readFileSync } from 'node:fs';

/**
 * For tests: the nice value of every thread of this process, by thread id (Linux:
 * /proc/self/task/<tid>/stat, field 19). Empty where /proc is not available.
 */
export function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return nices;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nices.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended while the list was read
    }
  }
  return nices;
}
