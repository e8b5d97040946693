/**
 * The plain-Node baseline: what a careful developer writes without a runtime,
 * one hand-written async queue per task. Every Beamline figure is compared
 * with this, measured in the same run.
 */
export class AsyncQueue<T> {
  private items: T[] = [];
  private head = 0;
  private waiter: ((value: T) => void) | null = null;

  push(value: T): void {
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w(value);
    } else {
      this.items.push(value);
    }
  }

  pop(): Promise<T> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++] as T;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      return Promise.resolve(value);
    }
    return new Promise<T>((resolve) => {
      this.waiter = resolve;
    });
  }
}
