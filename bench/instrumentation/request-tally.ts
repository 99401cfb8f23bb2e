/** Running request counts by `<service>.<operation>`; what every counter in this folder feeds. */
export class RequestTally {
  private readonly counts: Record<string, number> = {};

  add(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  snapshot(): Record<string, number> {
    return { ...this.counts };
  }
}
