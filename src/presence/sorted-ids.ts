/**
 * A set of ids kept in code-unit order (for the ASCII ids users have, the byte order Redis uses),
 * so a page after a cursor costs a binary search and the page itself, whatever the set's size.
 */
export class SortedIds {
  private readonly ids: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  add(id: string): void {
    const index = this.lowerBound(id);
    if (this.ids[index] !== id) this.ids.splice(index, 0, id);
  }

  delete(id: string): void {
    const index = this.lowerBound(id);
    if (this.ids[index] === id) this.ids.splice(index, 1);
  }

  /** Up to `limit` ids sorting strictly after `after` (from the first when undefined), and whether more follow. */
  page(after: string | undefined, limit: number): { ids: string[]; more: boolean } {
    let start = after === undefined ? 0 : this.lowerBound(after);
    if (after !== undefined && this.ids[start] === after) start += 1;
    const ids = this.ids.slice(start, start + limit);
    return { ids, more: start + limit < this.ids.length };
  }

  /** Index of the first id not sorting before `id`. */
  private lowerBound(id: string): number {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.ids[middle]! < id) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
