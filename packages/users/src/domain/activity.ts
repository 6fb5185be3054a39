import type { ActivityView } from '@userforge/contracts';

/** A user's activity (a visit, a login, …) with the device it came from. Ids are 24-hex strings. */
export interface Activity {
  id: string;
  userId: string;
  type: string;
  at: Date;
  device: string;
  browser: string;
  os: string;
  userAgent: string;
}

export function toActivityView(doc: Activity): ActivityView {
  return {
    id: doc.id,
    userId: doc.userId,
    type: doc.type,
    at: doc.at.toISOString(),
    device: doc.device,
    browser: doc.browser,
    os: doc.os,
  };
}
