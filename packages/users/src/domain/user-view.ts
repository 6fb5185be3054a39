import type { UserView } from '@userforge/contracts';
import type { UserDocument } from '../data/user';

export function toUserView(u: UserDocument): UserView {
  return {
    id: u._id.toHexString(),
    seq: u.seq,
    jobId: u.jobId,
    name: { first: u.name.first, last: u.name.last },
    email: u.email,
    username: u.username,
    phone: u.phone,
    gender: u.gender,
    birthDate: u.birthDate.toISOString().slice(0, 10),
    avatar: u.avatar,
    address: { street: u.address.street, city: u.address.city, country: u.address.country },
    company: u.company,
    jobTitle: u.jobTitle,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    lastActive: u.lastActive.toISOString(),
  };
}
