/**
 * Event filters (manager.conf `eventfilter`, the Filter action), Asterisk's classic
 * form: each filter is a regular expression tested against the event's text; one
 * starting with `!` excludes. No filters: everything passes. Only including ones:
 * an event must match one. Only excluding ones: it must match none. Both: it must
 * match an including one and no excluding one.
 */
export class EventFilter {
  private readonly include: RegExp[] = [];
  private readonly exclude: RegExp[] = [];

  /** Add one filter; the reason when it is not a valid expression. */
  add(spec: string): string | undefined {
    const negated = spec.startsWith("!");
    const source = negated ? spec.slice(1) : spec;
    let re: RegExp;
    try { re = new RegExp(source); } catch (e) { return (e as Error).message; }
    (negated ? this.exclude : this.include).push(re);
    return undefined;
  }

  get empty(): boolean { return this.include.length === 0 && this.exclude.length === 0; }

  passes(text: string): boolean {
    if (this.include.length && !this.include.some((r) => r.test(text))) return false;
    return !this.exclude.some((r) => r.test(text));
  }
}
