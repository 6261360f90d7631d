/**
 * One of each list in turn, [a0, b0, a1, b1, ...], the longer lists' rest at the end: how the
 * two servers' clients connect and join, so neither server gets all its clients first.
 */
export function interleave<T>(lists: T[][]): T[] {
  const longest = Math.max(0, ...lists.map((list) => list.length));
  const merged: T[] = [];
  for (let i = 0; i < longest; i += 1) for (const list of lists) if (i < list.length) merged.push(list[i]!);
  return merged;
}
