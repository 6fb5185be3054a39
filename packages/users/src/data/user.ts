import type { ObjectId } from 'mongodb';
import type { Gender } from '@userforge/contracts';

/** A user as stored in the `users` collection. */
export interface UserDocument {
  _id: ObjectId;
  /** Global sequence number, unique across every job; the email is unique because it embeds it. */
  seq: number;
  /** The job that generated the user (null for users created through the API). */
  jobId: string | null;
  name: { first: string; last: string };
  email: string;
  username: string;
  phone: string;
  gender: Gender;
  birthDate: Date;
  avatar: string;
  address: { street: string; city: string; country: string };
  company: string;
  jobTitle: string;
  createdAt: Date;
  updatedAt: Date;
  lastActive: Date;
}
