import type { Logger } from '@userforge/platform';
import { microTime, statusOf, type KubeClient, type Lease } from './client';

export interface LeaseSettings {
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
  renewEveryMs: number;
  retryEveryMs: number;
}

/** Whether `identity` may take the lease now: it is free, its own, or its holder stopped renewing. */
export function canAcquire(lease: Lease | null, identity: string, now: Date): boolean {
  const spec = lease?.spec;
  if (!spec?.holderIdentity || spec.holderIdentity === identity) return true;
  const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews every
 * `renewEveryMs`; others retry every `retryEveryMs` and take it once the holder has not renewed for
 * the lease duration. Writes carry the lease's resource version, so two candidates can never both win.
 */
export class LeaderElector {
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly s: LeaseSettings,
    private readonly logger: Logger,
    private readonly onStartedLeading: () => void,
    private readonly onStoppedLeading: () => void,
    /** Counts each attempt to read or write the lease. */
    private readonly onRequest: () => void = () => undefined,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const now = new Date();
    try {
      const won = await this.tryAcquireOrRenew(now);
      if (won) this.lastRenew = now.getTime();
      if (won && !this.leader) {
        this.leader = true;
        this.logger.info({ lease: this.s.name, identity: this.s.identity }, 'became the leader');
        this.onStartedLeading();
      }
      if (!won && this.leader) this.lose('another candidate holds the lease');
    } catch (err) {
      this.logger.warn({ err: (err as Error)?.message ?? err }, 'lease renewal failed');
    }
    // A leader that could not renew within the lease duration must assume someone else leads now.
    if (this.leader && Date.now() - this.lastRenew > this.s.durationSeconds * 1000) this.lose('could not renew the lease in time');
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.leader ? this.s.renewEveryMs : this.s.retryEveryMs);
      this.timer.unref();
    }
  }

  private lose(why: string): void {
    this.leader = false;
    this.logger.warn({ why }, 'stopped leading');
    this.onStoppedLeading();
  }

  private async tryAcquireOrRenew(now: Date): Promise<boolean> {
    const { namespace, name, identity, durationSeconds } = this.s;
    this.onRequest();
    const lease = await this.client.readLease(namespace, name);
    if (!lease) {
      try {
        await this.client.createLease(namespace, {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw err;
      }
    }
    if (!canAcquire(lease, identity, now)) return false;
    const spec = lease.spec ?? {};
    const taking = spec.holderIdentity !== identity;
    try {
      await this.client.replaceLease(namespace, {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: microTime(now),
          ...(taking ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
        },
      });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  /** Stops campaigning and, if leading, hands the lease back so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    try {
      const lease = await this.client.readLease(this.s.namespace, this.s.name);
      if (lease?.spec?.holderIdentity === this.s.identity) {
        await this.client.replaceLease(this.s.namespace, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error)?.message ?? err }, 'could not release the lease');
    }
  }
}
