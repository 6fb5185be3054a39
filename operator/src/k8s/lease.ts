import type { Logger } from '@userforge/platform';
import { microTime, statusOf, type KubeClient, type Lease } from './client';

/**
 * The timings of leader election, scaled from the lease duration as client-go's defaults are
 * (15 s lease, 10 s renew deadline, 2 s retry period). A renew attempt is a GET and a PUT; each
 * gets half of what the deadline leaves after one retry period, so one attempt that hangs still
 * ends, and a retry fits, before the deadline.
 */
export function leaseTimings(durationSeconds: number) {
  const leaseDurationMs = durationSeconds * 1000;
  const renewDeadlineMs = Math.round((leaseDurationMs * 2) / 3);
  const retryPeriodMs = Math.round((leaseDurationMs * 2) / 15);
  const requestTimeoutMs = Math.floor((renewDeadlineMs - retryPeriodMs) / 2);
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs, requestTimeoutMs };
}
export type LeaseTimings = ReturnType<typeof leaseTimings>;

/** What this candidate last saw of the lease, and when — by its own clock — that record last changed. */
export interface LeaseObservation {
  holder: string;
  renewTime: string;
  resourceVersion: string;
  /** The holder's promise, taken from the lease itself (as client-go does). */
  durationMs: number;
  /** Local time at which (holder, renewTime, resourceVersion) was first seen as it is now. */
  seenAtMs: number;
}

/**
 * Records a read of the lease. The holder's timestamps are compared only for change, never with
 * this clock: a skewed holder (a renewTime in the future or the past) cannot make a live lease
 * look expired or a dead one look alive for longer than one lease duration.
 */
export function observe(prev: LeaseObservation | null, lease: Lease | null, nowMs: number, defaultDurationMs: number): LeaseObservation | null {
  if (!lease) return null;
  const holder = lease.spec?.holderIdentity ?? '';
  const renewTime = lease.spec?.renewTime ?? '';
  const resourceVersion = lease.metadata.resourceVersion ?? '';
  const durationMs = (lease.spec?.leaseDurationSeconds ?? defaultDurationMs / 1000) * 1000;
  if (prev && prev.holder === holder && prev.renewTime === renewTime && prev.resourceVersion === resourceVersion) return { ...prev, durationMs };
  return { holder, renewTime, resourceVersion, durationMs, seenAtMs: nowMs };
}

/** Whether `identity` may take the lease now: it is free, its own, or unchanged for a whole lease duration by this clock. */
export function canAcquire(seen: LeaseObservation | null, identity: string, nowMs: number): boolean {
  if (!seen || !seen.holder || seen.holder === identity) return true;
  return nowMs >= seen.seenAtMs + seen.durationMs;
}

/** Whether a leader whose last successful renewal started at `lastRenewStartMs` must stop leading now. */
export function renewDeadlinePassed(lastRenewStartMs: number, renewDeadlineMs: number, nowMs: number): boolean {
  return nowMs - lastRenewStartMs >= renewDeadlineMs;
}

export interface LeaseSettings {
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease by client-go's rules: every retry period the
 * leader renews and the others try to acquire; a lease held by another is taken only after this
 * replica has seen it unchanged for the lease duration (its own clock); a leader stops leading the
 * moment its renew deadline passes without a successful renewal (a timer, not the next answer: a
 * stalled request cannot hold it), which is before any standby may acquire. Writes carry the
 * lease's resource version, so two candidates can never both win.
 */
export class LeaderElector {
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private lastRenewStart = 0;
  private seen: LeaseObservation | null = null;
  readonly timings: LeaseTimings;

  constructor(
    private readonly client: Pick<KubeClient, 'readLease' | 'createLease' | 'replaceLease'>,
    private readonly s: LeaseSettings,
    private readonly logger: Logger,
    private readonly onStartedLeading: () => void,
    private readonly onStoppedLeading: () => void,
    /** Counts each attempt to read or write the lease. */
    private readonly onRequest: () => void = () => undefined,
  ) {
    this.timings = leaseTimings(s.durationSeconds);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    try {
      const won = await this.tryAcquireOrRenew(started);
      if (this.stopped) return;
      if (won) this.renewed(started);
      else if (this.leader) this.lose(`${this.seen?.holder || 'another candidate'} holds the lease`);
    } catch (err) {
      this.logger.warn({ err: (err as Error)?.message ?? err, leading: this.leader }, this.leader ? 'lease renewal failed' : 'lease acquisition failed');
      this.checkDeadline();
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.timings.retryPeriodMs);
      this.timer.unref();
    }
  }

  private renewed(attemptStartedAt: number): void {
    this.lastRenewStart = attemptStartedAt;
    if (!this.leader) {
      this.leader = true;
      this.logger.info({ lease: this.s.name, identity: this.s.identity, ...this.timings }, 'became the leader');
      this.onStartedLeading();
    }
    this.checkDeadline();
  }

  /**
   * Stops leading once the renew deadline passed without a successful renewal; until then, looks
   * again when it will have. A timer of its own, not the next answer: the next renewal may be stuck
   * on a connection that answers nothing. A timer can fire a little before its delay by `Date.now()`
   * (libuv counts from the loop's cached time, which lags on a busy process): it then arms again for
   * what is left rather than deciding nothing (seen once in CI: a leader behind a stalled connection
   * kept leading for good).
   */
  private checkDeadline(): void {
    clearTimeout(this.deadline);
    if (!this.leader) return;
    const now = Date.now();
    if (renewDeadlinePassed(this.lastRenewStart, this.timings.renewDeadlineMs, now)) {
      this.lose(`no successful renewal for the renew deadline (${this.timings.renewDeadlineMs} ms)`);
      return;
    }
    this.deadline = setTimeout(() => this.checkDeadline(), this.lastRenewStart + this.timings.renewDeadlineMs - now);
    this.deadline.unref();
  }

  private lose(why: string): void {
    clearTimeout(this.deadline);
    this.leader = false;
    this.logger.warn({ why }, 'stopped leading');
    this.onStoppedLeading();
  }

  private async tryAcquireOrRenew(nowMs: number): Promise<boolean> {
    const { namespace, name, identity, durationSeconds } = this.s;
    const { requestTimeoutMs, leaseDurationMs } = this.timings;
    this.onRequest();
    const lease = await this.client.readLease(namespace, name, requestTimeoutMs);
    const readAt = Date.now();
    this.seen = observe(this.seen, lease, readAt, leaseDurationMs);
    const now = new Date(nowMs);
    if (!lease) {
      try {
        const created = await this.client.createLease(
          namespace,
          {
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
          requestTimeoutMs,
        );
        this.seen = observe(this.seen, created, Date.now(), leaseDurationMs);
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw err;
      }
    }
    if (!canAcquire(this.seen, identity, readAt)) return false;
    const spec = lease.spec ?? {};
    const taking = spec.holderIdentity !== identity;
    if (taking && spec.holderIdentity) {
      this.logger.info({ previousHolder: spec.holderIdentity, unchangedForMs: readAt - this.seen!.seenAtMs, leaseDurationMs: this.seen!.durationMs }, 'taking over an expired lease');
    }
    try {
      const replaced = await this.client.replaceLease(
        namespace,
        {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            renewTime: microTime(now),
            ...(taking ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
          },
        },
        requestTimeoutMs,
      );
      this.seen = observe(this.seen, replaced, Date.now(), leaseDurationMs);
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  /** Stops campaigning and, if leading, hands the lease back so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    if (!this.leader) return;
    this.leader = false;
    try {
      const lease = await this.client.readLease(this.s.namespace, this.s.name, this.timings.requestTimeoutMs);
      if (lease?.spec?.holderIdentity === this.s.identity) {
        await this.client.replaceLease(this.s.namespace, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } }, this.timings.requestTimeoutMs);
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error)?.message ?? err }, 'could not release the lease');
    }
  }
}
