import type { Gender } from '@userforge/contracts';

export interface Bounds<T> {
  gt?: T;
  gte?: T;
  lt?: T;
  lte?: T;
}

/** Which users a read wants, in the domain's words; the repository turns it into a query. */
export interface UserCriteria {
  email?: string;
  emailRange?: Bounds<string>;
  firstName?: string;
  lastName?: string;
  country?: string;
  gender?: Gender;
  seqRange?: Bounds<number>;
}

/** A half-open range of sequence numbers, `gte` ≤ seq < `lt`: a job's users, or what is left of them to read. */
export interface SeqRange {
  gte: number;
  lt: number;
}

export interface UserOrder {
  field: 'seq' | 'email';
  dir: 1 | -1;
}
